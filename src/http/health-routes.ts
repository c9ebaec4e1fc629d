import type Router from '@koa/router';
import type { Ledger } from '../store/ledger';

export function healthRoutes(router: Router, deps: { ledger: Ledger; isDraining: () => boolean }): void {
  // Liveness: the process answers.
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // Readiness: storage answers and we are not shutting down (take us out of the load balancer).
  router.get('/readyz', async (ctx) => {
    if (deps.isDraining()) {
      ctx.status = 503;
      ctx.body = { status: 'draining' };
      return;
    }
    try {
      await deps.ledger.ping();
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'storage unavailable' };
    }
  });
}
