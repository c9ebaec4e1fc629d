import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { ClickStore } from './clicks/click-store';
import type { Config } from './config';
import { createIntake } from './conversions/intake';
import type { DestinationDirectory } from './delivery/destinations';
import { supportFrom } from './delivery/adjustments';
import { adminRoutes } from './http/admin-routes';
import { clickRoutes } from './http/click-routes';
import { clientIp, ipList } from './http/client-ip';
import { consoleRoutes } from './http/console-routes';
import { destinationTestRoutes } from './http/destination-test-routes';
import { doctorRoutes } from './http/doctor-routes';
import { errorHandler } from './http/error-handler';
import { healthRoutes } from './http/health-routes';
import { hotPath, type HotListener } from './http/hot-path';
import { metricsRoutes } from './http/metrics-routes';
import { statsRoutes } from './http/stats-routes';
import { matchQualityRoutes } from './http/match-quality-routes';
import { openapiRoutes } from './http/openapi-routes';
import { postbackRoutes } from './http/postback-routes';
import { sessionRoutes } from './http/session-routes';
import { uiRoutes } from './http/ui-routes';
import { sourceRoutes } from './http/source-routes';
import type { HttpClient } from './connector-kit/http-types';
import type { ReadinessReport } from './health/readiness';
import type { Logger } from './logger';
import { countingClicks } from './metrics/counting-clicks';
import { createMetrics, type Metrics } from './metrics/metrics';
import { createObserver, observe } from './metrics/observe';
import { createTally } from './metrics/tally';
import type { PartnerPostback } from './network/model';
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
  /** /readyz: the click store and the ledger checked now (src/health/readiness.ts). */
  readiness: () => Promise<ReadinessReport>;
  /** The network side's routes (src/network), when wired; its store feeds the deactivated-postbacks gauge. */
  network?: { routes(router: Router): void; store?: { livePostbacks(): Promise<PartnerPostback[]> } };
  /** Prometheus instruments (one registry per gateway); a fresh set when absent. */
  metrics?: Metrics;
}

/** The Koa app with every collaborator injected; it never listens (main.ts and tests do). `close` before the ledger closes. */
export function createApp(deps: AppDeps): { app: Koa; router: Router; metrics: Metrics; close: () => Promise<void> } {
  const { config } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const tally = createTally({ ledger: deps.ledger, now: deps.now, logger: deps.logger });
  const store = deps.network?.store;
  metrics.bind({
    ledger: deps.ledger,
    now: deps.now,
    ...(store ? { deactivated: async () => (await store.livePostbacks()).filter((p) => p.status === 'deactivated').length } : {}),
  });
  const clicks = countingClicks(deps.clicks, () => {
    metrics.click();
    tally.add('click');
  });
  const app = new Koa();
  // The two routes every ad click and network postback hit, matched before the ~80 others: the
  // router tests every layer of its stack on each request (bench/README.md, h-hotpath).
  const hot = new Router();
  const router = new Router();
  const trusted = config.server.trustedProxies.length > 0 ? ipList(config.server.trustedProxies) : null;
  // One reading of the visitor's address for every route (trusted proxies only: client-ip.ts).
  const ipOf = (req: IncomingMessage) => {
    const forwarded = req.headers['x-forwarded-for'];
    return clientIp(req.socket.remoteAddress, typeof forwarded === 'string' && forwarded !== '' ? forwarded : undefined, trusted);
  };
  const ip = (ctx: Context) => ipOf(ctx.req);
  const intake = createIntake({
    config,
    ledger: deps.ledger,
    clicks,
    now: deps.now,
    onDeliveries: deps.notifyDeliveries,
    logger: deps.logger,
    adjustments: supportFrom(deps.destinations),
  });

  const observer = createObserver({ config, logger: deps.logger, metrics, tally });
  app.use(observe(observer));
  app.use(errorHandler(deps.logger));
  const redirects = clickRoutes(router, { config, clicks, now: deps.now, ip }, hot);
  postbackRoutes(hot, { intake, ip });
  adminRoutes(router, { config, ledger: deps.ledger, destinations: deps.destinations, onRetry: deps.notifyDeliveries, now: deps.now });
  destinationTestRoutes(router, { config, destinations: deps.destinations, http: deps.http, now: deps.now });
  consoleRoutes(router, { config, ledger: deps.ledger, clicks, logger: deps.logger });
  statsRoutes(router, { config, ledger: deps.ledger, destinations: deps.destinations, tally, onRetry: deps.notifyDeliveries, now: deps.now });
  matchQualityRoutes(router, { config, ledger: deps.ledger, destinations: deps.destinations, now: deps.now });
  metricsRoutes(router, { config, metrics });
  deps.network?.routes(router);
  const stored = deps.network?.store;
  doctorRoutes(router, { config, ...(stored ? { postbacks: () => stored.livePostbacks() } : {}) });
  sourceRoutes(router, { config, intake });
  healthRoutes(router, { readiness: deps.readiness, isDraining: deps.isDraining });
  sessionRoutes(router, { config, ip, now: deps.now });
  app.use(hot.routes());
  app.use(uiRoutes());
  openapiRoutes(router);
  app.use(router.routes());
  // The hot router adds the layers it matched by path to ctx.matched: a 405's Allow still lists them.
  app.use(router.allowedMethods({ throw: false }));
  // Koa would print every error to stderr; the error handler has already logged what matters.
  app.silent = true;
  // Every server of the app (gateway.ts, app.listen, tests) takes app.callback(): the hot routes'
  // listener goes in front of Koa's there, so no caller can bypass it or has to know it.
  const koaCallback = app.callback.bind(app);
  app.callback = (() => hotPath({ intake, redirects, observer, logger: deps.logger, ip: ipOf }, koaCallback() as HotListener)) as unknown as Koa['callback'];
  return { app, router, metrics, close: () => tally.close() };
}
