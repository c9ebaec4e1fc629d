import type Router from '@koa/router';
import type { Logger } from 'pino';
import { partnerPostback } from '../../connectors/partner-postback/index';
import type { Config, DestinationConfig } from '../config';
import { createHttpClient } from '../connector-kit/http-client';
import type { OutboundGuard } from '../connector-kit/outbound-guard';
import { createRegistry, type ConnectorRegistry } from '../connector-kit/registry';
import { resolveDestinations } from '../delivery/destinations';
import type { Ledger } from '../store/ledger';
import type { StepRunner } from '../store/sql-steps';
import { networkAttemptHook } from './after-attempts';
import { createNetworkDirectory } from './directory';
import { networkEntities } from './entities';
import { webhookDestinationId } from './model';
import { networkRoutes } from './routes';
import { createNetworkStore } from '../store/network/step-network-store';
import { networkTools } from './tools';
import { networkTracking } from './tracking';
import { NETWORK_WEBHOOK_CONNECTOR, networkWebhook } from './webhook-connector';

export interface NetworkDeps {
  config: Config;
  /** The ledger's engine (SQLite or Postgres): the network store runs its jobs on it. */
  storage: StepRunner;
  ledger: Ledger;
  registry: ConnectorRegistry;
  now: () => number;
  logger: Logger;
  /** Wake the delivery engine. */
  notify: () => void;
  /** The gateway's SSRF guard (outbound.allowPrivateTargets): partner URLs when saved and at every connect. */
  guard: OutboundGuard;
}

/** Network webhooks → destinations of the network-webhook connector, validated like any other (a bad secret stops the boot). */
function webhookDestinations(config: Config) {
  const configs: DestinationConfig[] = [];
  const targets: Array<{ destinationId: string; connector: string; event: (typeof config.network.webhooks)[number]['events'][number] }> = [];
  for (const w of config.network.webhooks) {
    for (const event of w.events) {
      const id = webhookDestinationId(w.id, event);
      configs.push({
        id,
        connector: NETWORK_WEBHOOK_CONNECTOR,
        enabled: w.enabled,
        settings: { url: w.url },
        credentials: { secret: w.secret },
        filters: {},
        acceptUnmatched: true,
      });
      if (w.enabled) targets.push({ destinationId: id, connector: NETWORK_WEBHOOK_CONNECTOR, event });
    }
  }
  return { resolved: resolveDestinations(configs, createRegistry([networkWebhook])), targets };
}

/**
 * The network side (issue #4): Everflow-style offers, partners and partner postbacks on the
 * gateway's outbox. Returns what the gateway plugs in: a destination directory, the engine's
 * attempt hook (failure streaks, committed with the attempts), and the routes.
 */
export function openNetwork(deps: NetworkDeps) {
  const net = deps.config.network;
  const logger = deps.logger;
  // Partner postbacks get their own pool (many partner hosts, their own user agent), on the same
  // client and guard as every other request: the SSRF check runs at connect time.
  const http = createHttpClient({
    guard: deps.guard,
    connections: Math.max(64, deps.config.delivery.concurrency),
    userAgent: 'closeloop/0.1 (partner postback)',
  });
  const webhooks = webhookDestinations(deps.config);
  const maxAttempts = 1 + net.retries;
  if (net.timeoutMs >= deps.config.delivery.leaseMs) {
    logger.warn(
      { leaseMs: deps.config.delivery.leaseMs, timeoutMs: net.timeoutMs },
      'network.timeoutMs is not below delivery.leaseMs: a slow partner postback may be sent twice',
    );
  }
  const store = createNetworkStore(deps.storage, {
    maxAttempts,
    webhookMaxAttempts: deps.config.delivery.maxAttempts,
    webhooks: webhooks.targets,
    clickSessionMs: net.clickSessionHours * 3_600_000,
  });
  const dir = createNetworkDirectory({
    connector: deps.registry.get(partnerPostback.id) ?? partnerPostback,
    http,
    timeoutMs: net.timeoutMs,
    maxAttempts,
    webhooks: webhooks.resolved,
  });
  // SQLite answers at once; Postgres loads before the gateway listens or claims (`ready`).
  const ready: Promise<void> = store.livePostbacksNow
    ? Promise.resolve(dir.load(store.livePostbacksNow()))
    : store.livePostbacks().then((list) => dir.load(list));
  // Other processes sharing the database change postbacks too (deactivation, the API).
  const refresh = setInterval(() => {
    store.livePostbacks().then(
      (list) => dir.load(list),
      (err) => logger.error({ err }, 'network postback refresh failed'),
    );
  }, net.refreshMs);
  refresh.unref();

  const rule = { failures: net.deactivation.failures, windowMs: net.deactivation.windowHours * 3_600_000 };
  const entities = networkEntities({ store, directory: dir, guard: deps.guard, now: deps.now, notify: deps.notify });
  const tracking = networkTracking({
    store,
    directory: dir,
    now: deps.now,
    networkId: net.networkId,
    verificationToken: net.verificationToken,
    notify: deps.notify,
  });
  const tools = networkTools({ store, ledger: deps.ledger, directory: dir, http, now: deps.now });

  return {
    store,
    ready,
    entities,
    tracking,
    directory: dir.directory,
    attemptHook: networkAttemptHook({ store, directory: dir, rule, logger, notify: deps.notify }),
    routes(router: Router): void {
      if (net.enabled) networkRoutes(router, { adminToken: deps.config.admin.token, entities, tracking, tools, now: deps.now });
    },
    async close(): Promise<void> {
      clearInterval(refresh);
      await http.close();
    },
  };
}
export type Network = ReturnType<typeof openNetwork>;
