import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Config } from '../config';
import type { Metrics } from '../metrics/metrics';
import { adminAuth } from './admin-auth';

/**
 * GET /metrics, Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/).
 * A scraper gets `admin.metricsToken` when one is set, so it never holds the admin token; the
 * admin token works too.
 */
export function metricsRoutes(router: Router, deps: { config: Config; metrics: Metrics }): void {
  const admin = adminAuth(deps.config.admin.token);
  const scraper = deps.config.admin.metricsToken ? adminAuth(deps.config.admin.metricsToken) : null;
  const auth = async (ctx: Context, next: Next): Promise<void> => {
    if (scraper) {
      let accepted = false;
      try {
        await scraper(ctx, async () => {
          accepted = true;
        });
      } catch {
        // Not the metrics token: the admin token decides (and answers the 401).
      }
      if (accepted) return next();
    }
    return admin(ctx, next);
  };

  router.get('/metrics', auth, async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
}
