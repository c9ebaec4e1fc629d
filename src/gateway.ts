import type { Server, ServerResponse } from 'node:http';
import KeyvRedis from '@keyv/redis';
import { connectors } from '../connectors/index';
import { createApp } from './app';
import { createKeyvClickStore, type ClickStore } from './clicks/click-store';
import type { Config } from './config';
import type { AnyConnector } from './connector-kit/define';
import { createHttpClient } from './connector-kit/http-client';
import type { HttpClient } from './connector-kit/http-types';
import { createRegistry } from './connector-kit/registry';
import { combineDirectories, resolveDestinations, staticDirectory } from './delivery/destinations';
import { createDeliveryEngine } from './delivery/engine';
import type { Logger } from './logger';
import { openNetwork } from './network/index';
import { createMetrics, type Metrics } from './metrics/metrics';
import { GroupCommit } from './store/group-commit';
import { migrate } from './store/migrations';
import { startCheckpointer } from './store/checkpointer';
import { openSqlite, walToSync } from './store/sqlite';
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
  const writer = new GroupCommit(db, { syncWal: walToSync(config.storage.sqlitePath, config.storage.synchronous) });
  const checkpointer = startCheckpointer(db, config.storage.sqlitePath, 250, (message) => logger.error({ message }, 'WAL checkpoint failed'));
  const ledger = createSqliteLedger(db, writer);
  const clicks = openClickStore(config, db, writer, now);
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
  const http = options.http ?? createHttpClient();
  // The network side plugs its partner postbacks into the same engine (issue #4).
  const network = openNetwork({ config, db, writer, ledger, registry, now, logger: logger.child({ component: 'network' }), notify: () => engine.notify() });
  // One lookup for every destination, configured or partner postback: the engine and the admin routes share it.
  const directory = combineDirectories(staticDirectory(destinations), network.directory);
  const metrics = options.metrics ?? createMetrics();
  const engine = createDeliveryEngine({
    ledger, destinations: directory, http, now, logger: logger.child({ component: 'delivery' }),
    options: config.delivery, afterAttempts: (results) => (metrics.attempts(results), network.afterAttempts(results)),
  });
  let draining = false;
  const { app, router, close: closeApp } = createApp({
    config, ledger, clicks, destinations: directory, http, logger, now, notifyDeliveries: engine.notify, isDraining: () => draining, network, metrics,
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
    app, router, ledger, clicks, engine, writer, registry, destinations, db, network, metrics,
    listen(port = config.server.port, host = config.server.host): Promise<Server> {
      return new Promise((resolve) => {
        server = app.listen(port, host, () => resolve(server as Server));
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
  async function shutdown(): Promise<void> {
    draining = true;
    for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
    clearInterval(purge);
    const serverClosed = server ? new Promise<void>((r) => server?.close(() => r())) : Promise.resolve();
    server?.closeIdleConnections();
    await engine.stop();
    await network.close();
    await serverClosed;
    await closeApp();
    await Promise.allSettled(registry.all().map((c) => c.close?.()));
    await http.close();
    await clicks.close();
    await checkpointer?.stop();
    await ledger.close();
  }
}
export type Gateway = ReturnType<typeof openGateway>;

function openClickStore(config: Config, db: ReturnType<typeof openSqlite>, writer: GroupCommit, now: () => number): ClickStore {
  const ttlMs = Math.round(config.clicks.attributionWindowDays * 86_400_000);
  if (config.storage.clickStore.startsWith('redis://') || config.storage.clickStore.startsWith('rediss://')) {
    // Redis expires keys natively: nothing to purge.
    return createKeyvClickStore({ store: new KeyvRedis(config.storage.clickStore), ttlMs });
  }
  const adapter = new SqliteKeyvAdapter(db, writer, now);
  return createKeyvClickStore({ store: adapter, ttlMs, purge: () => adapter.purgeExpired() });
}
