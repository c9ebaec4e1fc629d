import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { ClickStore } from './clicks/click-store';
import type { Config } from './config';
import { createIntake } from './conversions/intake';
import type { DestinationDirectory } from './delivery/destinations';
import { adminRoutes } from './http/admin-routes';
import { clickRoutes } from './http/click-routes';
import { clientIp, ipList } from './http/client-ip';
import { destinationTestRoutes } from './http/destination-test-routes';
import { errorHandler } from './http/error-handler';
import { healthRoutes } from './http/health-routes';
import { openapiRoutes } from './http/openapi-routes';
import { postbackRoutes } from './http/postback-routes';
import type { HttpClient } from './connector-kit/http-types';
import type { Logger } from './logger';
import type { Ledger } from './store/ledger';

export interface AppDeps {
  config: Config;
  ledger: Ledger;
  clicks: ClickStore;
  /** Every destination the engine delivers to (configured ones and partner postbacks). */
  destinations: DestinationDirectory;
  /** Outbound client, for the destination test tool. */
  http: HttpClient;
  logger: Logger;
  now: () => number;
  /** New deliveries are committed: wake the workers. */
  notifyDeliveries: () => void;
  isDraining: () => boolean;
  /** The network side's routes (src/network), when wired. */
  network?: { routes(router: Router): void };
}

/** The Koa app with every collaborator injected; it never listens (main.ts and tests do). */
export function createApp(deps: AppDeps): { app: Koa; router: Router } {
  const { config } = deps;
  const app = new Koa();
  const router = new Router();
  const trusted = config.server.trustedProxies.length > 0 ? ipList(config.server.trustedProxies) : null;
  // One reading of the visitor's address for every route (trusted proxies only: client-ip.ts).
  const ip = (ctx: Context) => clientIp(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for') || undefined, trusted);
  const intake = createIntake({ config, ledger: deps.ledger, clicks: deps.clicks, now: deps.now, onDeliveries: deps.notifyDeliveries });

  app.use(errorHandler(deps.logger));
  clickRoutes(router, { config, clicks: deps.clicks, now: deps.now, ip });
  postbackRoutes(router, { intake, ip });
  adminRoutes(router, { config, ledger: deps.ledger, destinations: deps.destinations, onRetry: deps.notifyDeliveries, now: deps.now });
  destinationTestRoutes(router, { config, destinations: deps.destinations, http: deps.http, now: deps.now });
  deps.network?.routes(router);
  healthRoutes(router, { ledger: deps.ledger, isDraining: deps.isDraining });
  openapiRoutes(router);
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  // Koa would print every error to stderr; the error handler has already logged what matters.
  app.silent = true;
  return { app, router };
}
