import { createServer, type Server, type ServerResponse } from 'node:http';
import { connectors } from '../connectors/index';
import { createApp } from './app';
import { assertSafeBind } from './bind-guard';
import { createLedgerClickStore, createRedisClickStore, type ClickStore } from './clicks/click-store';
import { createSpooledClickStore } from './clicks/spooled-click-store';
import type { Config } from './config';
import type { AnyConnector } from './connector-kit/define';
import { createHttpClient } from './connector-kit/http-client';
import type { HttpClient } from './connector-kit/http-types';
import { createRegistry } from './connector-kit/registry';
import { combineDirectories, resolveDestinations, staticDirectory } from './delivery/destinations';
import { withAdjustments } from './delivery/adjustments';
import { createDeliveryEngine } from './delivery/engine';
import { prepareOutbound } from './delivery/outbound-boot';
import { HealthRegistry } from './health/monitor';
import { checkReadiness, ledgerHeartbeat } from './health/readiness';
import type { Logger } from './logger';
import { serverOptions } from './http/server-options';
import { openNetwork } from './network/index';
import { createMetrics, type Metrics } from './metrics/metrics';
import { openStorage, type Storage } from './store/open-storage';
import { purgeExpiredHistory } from './store/retention';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  now?: () => number;
  http?: HttpClient;
  connectors?: readonly AnyConnector[];
  /** Start the delivery workers (tests of intake alone may not). */
  startWorkers?: boolean;
  metrics?: Metrics;
}

/** Wires storage, connectors, the delivery engine and the app: what main.ts and the tests start. */
export function openGateway(options: GatewayOptions) {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  // Failures of each dependency, counted and logged once per episode; /readyz (and metrics) read them.
  const health = new HealthRegistry(logger.child({ component: 'health' }), now);
  const ledgerMonitor = health.monitor('ledger');
  // storage.engine: the embedded SQLite file or the shared Postgres ledger (src/store/open-storage.ts).
  const storage = openStorage(config, now, (message) => logger.error({ message }, 'WAL checkpoint failed'), ledgerMonitor);
  const { ledger } = storage;
  const clicks = openClickStore(config, storage, now, health);
  const heartbeat = ledgerHeartbeat(storage.runner, now);
  const readiness = () =>
    checkReadiness(
      [
        { name: 'click_store', check: () => clicks.ping() },
        {
          name: 'ledger',
          check: async () => {
            await heartbeat();
            // A small heartbeat may fit where a conversion does not: a write that failed lately counts too.
            const { lastFailureAt, lastError } = ledgerMonitor.snapshot();
            if (lastFailureAt !== null && now() - lastFailureAt < 5_000) throw new Error(`a write failed ${now() - lastFailureAt} ms ago: ${lastError}`);
          },
        },
      ],
      Math.max(1_000, config.storage.clickStoreTimeoutMs * 2),
    );
  const registry = createRegistry(options.connectors ?? (connectors as readonly AnyConnector[]));
  const destinations = resolveDestinations(config.destinations, registry);
  for (const d of destinations.values()) {
    // A lease shorter than a request lets a second worker re-send a live attempt: nothing is
    // lost and the de-duplication key absorbs it, but it is wasted traffic.
    if (d.connector.limits.timeoutMs >= config.delivery.leaseMs) {
      logger.warn(
        { leaseMs: config.delivery.leaseMs, connector: d.connector.id, timeoutMs: d.connector.limits.timeoutMs },
        'delivery.leaseMs is shorter than a connector timeout: slow attempts may be sent twice (same de-duplication key)',
      );
    }
  }
  // A connector's SDK only for the connectors configured here (connectors/meta/sdk.ts): RSS at start.
  for (const d of destinations.values()) {
    d.connector.load?.();
    d.connector.adjustments?.load?.();
  }
  // One SSRF guard for every outbound request; private configured targets stop the boot here.
  const guard = prepareOutbound(config, destinations.values(), logger);
  const http = options.http ?? createHttpClient({ guard });
  // The network side plugs its partner postbacks into the same engine (issue #4).
  const network = openNetwork({
    config,
    storage: storage.runner,
    ledger,
    registry,
    now,
    guard,
    logger: logger.child({ component: 'network' }),
    notify: () => engine.notify(),
  });
  // One lookup for every destination, configured or partner postback: the engine and the admin routes share it.
  // withAdjustments: corrections (`<id>#retraction`) resolve to their connector (src/delivery/adjustments.ts).
  const directory = withAdjustments(combineDirectories(staticDirectory(destinations), network.directory));
  const metrics = options.metrics ?? createMetrics();
  const engine = createDeliveryEngine({
    ledger,
    destinations: directory,
    http,
    now,
    logger: logger.child({ component: 'delivery' }),
    options: config.delivery,
    attemptHook: network.attemptHook,
    afterAttempts: (results) => metrics.attempts(results),
  });
  let draining = false;
  const {
    app,
    router,
    close: closeApp,
  } = createApp({
    config,
    ledger,
    clicks,
    destinations: directory,
    http,
    logger,
    now,
    notifyDeliveries: engine.notify,
    isDraining: () => draining,
    network,
    readiness,
    metrics,
  });

  const purge = setInterval(() => {
    clicks.purgeExpired().then(
      (n) => n > 0 && logger.info({ purged: n }, 'expired clicks deleted'),
      (err) => logger.error({ err }, 'click purge failed'),
    );
  }, config.clicks.purgeIntervalMs);
  purge.unref();
  // Retention (storage.retention): old attempts, exchanges and rejections go, in chunks.
  const retention = setInterval(() => {
    purgeExpiredHistory(storage.runner, config.storage.retention, now()).then(
      (n) => n.attempts + n.rejections > 0 && logger.info({ purged: n }, 'old delivery history deleted'),
      (err) => logger.error({ err }, 'retention purge failed'),
    );
  }, config.storage.retention.intervalMs);
  retention.unref();
  // Postgres: the schema is migrated and the postback cache loaded before any claim.
  const ready = Promise.all([storage.ready, network.ready]).then(() => undefined);
  ready.catch(() => undefined);
  if (options.startWorkers !== false) {
    if (storage.engine === 'sqlite') engine.start();
    else
      void ready.then(
        () => !draining && engine.start(),
        (err) => logger.error({ err }, 'storage did not open'),
      );
  }

  let server: Server | null = null;
  let closing: Promise<void> | undefined;
  // Responses not sent yet. Once draining, they and every later one carry Connection: close;
  // otherwise a client's keep-alive socket holds server.close() open (keepAliveTimeout, 65 s).
  const unanswered = new Set<ServerResponse>();
  return {
    app,
    router,
    ledger,
    clicks,
    engine,
    registry,
    destinations,
    network,
    storage,
    ready,
    health,
    readiness,
    metrics,
    /** The SQLite handle and group commit (benchmarks, SQLite-only tests); throws on Postgres. */
    get db() {
      return sqliteOf(storage).db;
    },
    get writer() {
      return sqliteOf(storage).writer;
    },
    listen(port = config.server.port, host = config.server.host): Promise<Server> {
      // Synchronous, before anything opens: an unsafe bind throws here, not as a rejection.
      assertSafeBind(config, host);
      return ready.then(
        () =>
          new Promise<Server>((resolve) => {
            server = createServer(serverOptions(config), app.callback()).listen(port, host, () => resolve(server as Server));
            server.keepAliveTimeout = 65_000;
            server.prependListener('request', (_req, res: ServerResponse) => {
              if (draining) return void res.setHeader('connection', 'close');
              unanswered.add(res);
              res.on('close', () => unanswered.delete(res));
            });
          }),
      );
    },
    /** SIGTERM: stop taking work, finish in-flight attempts, then close storage. Idempotent. */
    close(): Promise<void> {
      closing ??= shutdown();
      return closing;
    },
  };
  /**
   * Drain (stop taking work, finish in-flight requests and attempts) for at most
   * server.shutdownTimeoutMs less a second, then cut the connections still open and close storage.
   * main.ts exits at the deadline even if something below still hangs.
   */
  async function shutdown(): Promise<void> {
    draining = true;
    for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
    clearInterval(purge);
    clearInterval(retention);
    const serverClosed = server ? new Promise<void>((r) => server?.close(() => r())) : Promise.resolve();
    server?.closeIdleConnections();
    const budget = config.server.shutdownTimeoutMs;
    const graceMs = Math.max(budget / 2, budget - 1_000);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      (async () => {
        await engine.stop();
        await network.close();
        await serverClosed;
        return true;
      })(),
      new Promise<false>((r) => {
        timer = setTimeout(() => r(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      logger.warn({ graceMs, openResponses: unanswered.size }, 'shutdown: drain took too long; closing the remaining connections');
      server?.closeAllConnections();
    }
    await closeApp().catch((err) => logger.warn({ err }, 'shutdown: flushing the stat counters failed'));
    // After a timed-out drain, an attempt may still be in flight: its lease expires and another
    // process (or the restart) sends it again under the same de-duplication key. Closing the HTTP
    // pools would wait for it, so past the deadline each close gets a bounded moment only.
    const bounded = (p: Promise<unknown> | undefined) => (drained ? p : Promise.race([p, new Promise((r) => setTimeout(r, 300).unref())]));
    await Promise.allSettled(registry.all().map((c) => bounded(c.close?.())));
    await bounded(http.close());
    await clicks.close().catch((err) => logger.warn({ err }, 'shutdown: click store close failed'));
    // SQLite: the checkpointer, then the last group commit; Postgres: the last batch, then the pool.
    await storage.close();
  }
}
export type Gateway = ReturnType<typeof openGateway>;

function sqliteOf(storage: Storage) {
  if (!storage.sqlite) throw new Error('this gateway runs on Postgres (storage.engine): it has no SQLite handle');
  return storage.sqlite;
}

function openClickStore(config: Config, storage: Storage, now: () => number, health: HealthRegistry): ClickStore {
  const ttlMs = Math.round(config.clicks.attributionWindowDays * 86_400_000);
  const url = config.storage.clickStore ?? '';
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    // Redis expires keys natively: nothing to purge. Clicks Redis cannot take go to the spool in
    // the ledger's database (either engine) and move over when it is back (ARCHITECTURE.md, "When
    // a dependency fails").
    return createSpooledClickStore({
      primary: createRedisClickStore(url, { ttlMs, timeoutMs: config.storage.clickStoreTimeoutMs }),
      spool: storage.clickSpool(now),
      ttlMs,
      now,
      writes: health.monitor('click_store_writes'),
      reads: health.monitor('click_store_reads'),
    });
  }
  // Unset, 'sqlite' or 'postgres': the ledger's own database; a failure here is a storage failure
  // (503 STORAGE_UNAVAILABLE).
  return createLedgerClickStore({ ttlMs, ...storage.clickAdapter(now) });
}
