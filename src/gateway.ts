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
}

/** Wires storage, connectors, the delivery engine and the app: what main.ts and the tests start. */
export function openGateway(options: GatewayOptions) {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  // storage.engine: the embedded SQLite file or the shared Postgres ledger (src/store/open-storage.ts).
  const storage = openStorage(config, now, (message) => logger.error({ message }, 'WAL checkpoint failed'));
  const { ledger } = storage;
  const clicks = openClickStore(config, storage, now);
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
  const network = openNetwork({ config, storage: storage.runner, ledger, registry, now, logger: logger.child({ component: 'network' }), notify: () => engine.notify() });
  // One lookup for every destination, configured or partner postback: the engine and the admin routes share it.
  const directory = combineDirectories(staticDirectory(destinations), network.directory);
  const engine = createDeliveryEngine({
    ledger, destinations: directory, http, now, logger: logger.child({ component: 'delivery' }),
    options: config.delivery, afterAttempts: network.afterAttempts,
  });
  let draining = false;
  const { app, router } = createApp({
    config, ledger, clicks, destinations: directory, http, logger, now, notifyDeliveries: engine.notify, isDraining: () => draining, network,
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
    else void ready.then(() => !draining && engine.start(), (err) => logger.error({ err }, 'storage did not open'));
  }

  let server: Server | null = null;
  let closing: Promise<void> | undefined;
  // Responses not sent yet. Once draining, they and every later one carry Connection: close;
  // otherwise a client's keep-alive socket holds server.close() open (keepAliveTimeout, 65 s).
  const unanswered = new Set<ServerResponse>();
  return {
    app, router, ledger, clicks, engine, registry, destinations, network, storage, ready,
    /** The SQLite handle and group commit (benchmarks, SQLite-only tests); throws on Postgres. */
    get db() {
      return sqliteOf(storage).db;
    },
    get writer() {
      return sqliteOf(storage).writer;
    },
    async listen(port = config.server.port, host = config.server.host): Promise<Server> {
      await ready;
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
    clearInterval(retention);
    const serverClosed = server ? new Promise<void>((r) => server?.close(() => r())) : Promise.resolve();
    server?.closeIdleConnections();
    await engine.stop();
    await network.close();
    await serverClosed;
    await Promise.allSettled(registry.all().map((c) => c.close?.()));
    await http.close();
    await clicks.close();
    await storage.close();
  }
}
export type Gateway = ReturnType<typeof openGateway>;

function sqliteOf(storage: Storage) {
  if (!storage.sqlite) throw new Error('this gateway runs on Postgres (storage.engine): it has no SQLite handle');
  return storage.sqlite;
}

function openClickStore(config: Config, storage: Storage, now: () => number): ClickStore {
  const ttlMs = Math.round(config.clicks.attributionWindowDays * 86_400_000);
  const url = config.storage.clickStore ?? '';
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    // Redis expires keys natively: nothing to purge.
    return createKeyvClickStore({ store: new KeyvRedis(url), ttlMs });
  }
  // Unset, 'sqlite' or 'postgres': the ledger's own database.
  return createKeyvClickStore({ ttlMs, ...storage.clickAdapter(now) });
}
