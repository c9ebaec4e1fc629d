import { createServer, type Server, type ServerResponse } from 'node:http';
import { connectors } from '../connectors/index';
import { createApp } from './app';
import { assertSafeBind } from './bind-guard';
import { createKeyvClickStore, createRedisClickStore, type ClickStore } from './clicks/click-store';
import { createSpooledClickStore } from './clicks/spooled-click-store';
import type { Config } from './config';
import type { AnyConnector } from './connector-kit/define';
import { createHttpClient } from './connector-kit/http-client';
import type { HttpClient } from './connector-kit/http-types';
import { createRegistry } from './connector-kit/registry';
import { combineDirectories, resolveDestinations, staticDirectory } from './delivery/destinations';
import { createDeliveryEngine } from './delivery/engine';
import { prepareOutbound } from './delivery/outbound-boot';
import { HealthRegistry } from './health/monitor';
import { checkReadiness, ledgerHeartbeat } from './health/readiness';
import type { Logger } from './logger';
import { serverOptions } from './http/server-options';
import { openNetwork } from './network/index';
import { createMetrics, type Metrics } from './metrics/metrics';
import { GroupCommit } from './store/group-commit';
import { migrate } from './store/migrations';
import { startCheckpointer } from './store/checkpointer';
import { createSqliteClickSpool } from './store/sqlite-click-spool';
import { openSqlite, sqlRunner, walToSync } from './store/sqlite';
import { SqliteKeyvAdapter } from './store/sqlite-keyv-adapter';
import { createSqliteLedger } from './store/sqlite-ledger';

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
  const db = openSqlite(config.storage.sqlitePath);
  migrate(db, now());
  // Failures of each dependency, counted and logged once per episode; /readyz (and metrics) read them.
  const health = new HealthRegistry(logger.child({ component: 'health' }), now);
  const ledgerMonitor = health.monitor('ledger');
  const writer = new GroupCommit(db, { syncWal: walToSync(config.storage.sqlitePath, config.storage.synchronous), monitor: ledgerMonitor });
  const checkpointer = startCheckpointer(db, config.storage.sqlitePath, 250, (message) => logger.error({ message }, 'WAL checkpoint failed'));
  const ledger = createSqliteLedger(db, writer);
  const clicks = openClickStore(config, db, writer, now, health);
  const heartbeat = ledgerHeartbeat((fn) => writer.run(fn), sqlRunner(db).run, now);
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
      logger.warn({ leaseMs: config.delivery.leaseMs, connector: d.connector.id, timeoutMs: d.connector.limits.timeoutMs },
        'delivery.leaseMs is shorter than a connector timeout: slow attempts may be sent twice (same de-duplication key)');
    }
  }
  // One SSRF guard for every outbound request; private configured targets stop the boot here.
  const guard = prepareOutbound(config, destinations.values(), logger);
  const http = options.http ?? createHttpClient({ guard });
  // The network side plugs its partner postbacks into the same engine (issue #4).
  const network = openNetwork({ config, db, writer, ledger, registry, now, guard, logger: logger.child({ component: 'network' }), notify: () => engine.notify() });
  // One lookup for every destination, configured or partner postback: the engine and the admin routes share it.
  const directory = combineDirectories(staticDirectory(destinations), network.directory);
  const metrics = options.metrics ?? createMetrics();
  const engine = createDeliveryEngine({
    ledger, destinations: directory, http, now, logger: logger.child({ component: 'delivery' }),
    options: config.delivery, afterAttempts: (results) => (metrics.attempts(results), network.afterAttempts(results)),
  });
  let draining = false;
  const { app, router, close: closeApp } = createApp({
    config, ledger, clicks, destinations: directory, http, logger, now, notifyDeliveries: engine.notify, isDraining: () => draining, network, readiness, metrics,
  });

  const purge = setInterval(() => {
    clicks.purgeExpired().then(
      (n) => n > 0 && logger.info({ purged: n }, 'expired clicks deleted'),
      (err) => logger.error({ err }, 'click purge failed'),
    );
  }, config.clicks.purgeIntervalMs);
  purge.unref();
  if (options.startWorkers !== false) engine.start();

  let server: Server | null = null;
  let closing: Promise<void> | undefined;
  // Responses not sent yet. Once draining, they and every later one carry Connection: close;
  // otherwise a client's keep-alive socket holds server.close() open (keepAliveTimeout, 65 s).
  const unanswered = new Set<ServerResponse>();
  return {
    app, router, ledger, clicks, engine, writer, registry, destinations, db, network, health, readiness, metrics,
    listen(port = config.server.port, host = config.server.host): Promise<Server> {
      assertSafeBind(config, host);
      return new Promise((resolve) => {
        server = createServer(serverOptions(config), app.callback()).listen(port, host, () => resolve(server as Server));
        server.keepAliveTimeout = 65_000;
        server.prependListener('request', (_req, res: ServerResponse) => {
          if (draining) return void res.setHeader('connection', 'close');
          unanswered.add(res);
          res.on('close', () => unanswered.delete(res));
        });
      });
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
    const bounded = (p: Promise<unknown> | undefined) =>
      drained ? p : Promise.race([p, new Promise((r) => setTimeout(r, 300).unref())]);
    await Promise.allSettled(registry.all().map((c) => bounded(c.close?.())));
    await bounded(http.close());
    await clicks.close().catch((err) => logger.warn({ err }, 'shutdown: click store close failed'));
    await checkpointer?.stop();
    await ledger.close();
  }
}
export type Gateway = ReturnType<typeof openGateway>;

function openClickStore(config: Config, db: ReturnType<typeof openSqlite>, writer: GroupCommit, now: () => number, health: HealthRegistry): ClickStore {
  const ttlMs = Math.round(config.clicks.attributionWindowDays * 86_400_000);
  if (config.storage.clickStore.startsWith('redis://') || config.storage.clickStore.startsWith('rediss://')) {
    // Redis expires keys natively: nothing to purge. Clicks Redis cannot take go to the spool on
    // the local file and move over when it is back (ARCHITECTURE.md, "When a dependency fails").
    return createSpooledClickStore({
      primary: createRedisClickStore(config.storage.clickStore, { ttlMs, timeoutMs: config.storage.clickStoreTimeoutMs }),
      spool: createSqliteClickSpool(db, writer, now),
      ttlMs, now,
      writes: health.monitor('click_store_writes'),
      reads: health.monitor('click_store_reads'),
    });
  }
  // The same file as the ledger: a failure here is a storage failure (503 STORAGE_UNAVAILABLE).
  const adapter = new SqliteKeyvAdapter(db, writer, now);
  return createKeyvClickStore({ store: adapter, ttlMs, purge: () => adapter.purgeExpired() });
}
