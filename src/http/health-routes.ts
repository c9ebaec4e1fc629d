import type Router from '@koa/router';
import type { ReadinessReport } from '../health/readiness';

export function healthRoutes(router: Router, deps: { readiness: () => Promise<ReadinessReport>; isDraining: () => boolean }): void {
  // Liveness: the process answers.
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // Readiness: can this process take a click and a postback now? The click store answers a read
  // and the ledger takes a real write (src/health/readiness.ts); the failing parts are named.
  // 503 takes us out of the load balancer, as does draining after SIGTERM.
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (deps.isDraining()) {
      ctx.status = 503;
      ctx.body = { status: 'draining' };
      return;
    }
    const report = await deps.readiness();
    if (!report.ready) {
      ctx.status = 503;
      ctx.set('Retry-After', '5');
    }
    ctx.body = {
      status: report.ready ? 'ready' : 'unavailable',
      ...(report.ready ? {} : { failing: report.failing }),
      checks: report.checks,
    };
  });
}
