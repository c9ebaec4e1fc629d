import type { DestinationConfig } from '../config';
import { ConfigError } from '../config';
import type { AnyConnector } from '../connector-kit/define';
import type { ConnectorRegistry } from '../connector-kit/registry';
import { secretValues, urlSecretValues } from '../connector-kit/redact';

/** A configured destination with its connector and validated settings/credentials. */
export interface ResolvedDestination {
  config: DestinationConfig;
  connector: AnyConnector;
  settings: unknown;
  credentials: unknown;
  /** Credential values (and credentials pasted into settings URLs), to redact from anything recorded. */
  secrets: string[];
}

/**
 * Validates every destination against its connector's zod schemas at boot; one message lists
 * every problem, so a bad config never starts half-working.
 */
export function resolveDestinations(configs: readonly DestinationConfig[], registry: ConnectorRegistry): Map<string, ResolvedDestination> {
  const out = new Map<string, ResolvedDestination>();
  const problems: string[] = [];
  for (const d of configs) {
    const connector = registry.get(d.connector);
    if (!connector) {
      problems.push(`destination "${d.id}": unknown connector "${d.connector}" (known: ${registry.ids().join(', ')})`);
      continue;
    }
    const settings = connector.settings.safeParse(d.settings);
    const credentials = connector.credentials.safeParse(d.credentials);
    if (!settings.success) for (const i of settings.error.issues) problems.push(`destination "${d.id}" settings.${i.path.join('.')}: ${i.message}`);
    // Never echo credential values: only the field path and zod's message.
    if (!credentials.success) for (const i of credentials.error.issues) problems.push(`destination "${d.id}" credentials.${i.path.join('.')}: ${i.message}`);
    if (settings.success && credentials.success) {
      out.set(d.id, {
        config: d,
        connector,
        settings: settings.data,
        credentials: credentials.data,
        secrets: [...secretValues(credentials.data), ...urlSecretValues(settings.data)],
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid destinations:\n  ${problems.join('\n  ')}`);
  return out;
}

/**
 * Where the engine looks destinations up. Configured destinations are static; the network side
 * (partner postbacks) keeps its own in the ledger and plugs in another directory.
 */
export interface DestinationDirectory {
  get(id: string): ResolvedDestination | undefined;
  /** Destinations whose due deliveries must not be claimed now (disabled in the config). */
  heldIds(): string[];
  /** Largest batch any of its connectors takes. */
  maxBatch(): number;
}

export function staticDirectory(map: Map<string, ResolvedDestination>): DestinationDirectory {
  const held = [...map.values()].filter((d) => !d.config.enabled).map((d) => d.config.id);
  const maxBatch = Math.max(1, ...[...map.values()].map((d) => d.connector.limits.maxBatch));
  return { get: (id) => map.get(id), heldIds: () => held, maxBatch: () => maxBatch };
}

/** First directory that knows an id wins. */
export function combineDirectories(...dirs: DestinationDirectory[]): DestinationDirectory {
  return {
    get: (id) => {
      for (const d of dirs) {
        const found = d.get(id);
        if (found) return found;
      }
      return undefined;
    },
    heldIds: () => dirs.flatMap((d) => d.heldIds()),
    maxBatch: () => Math.max(1, ...dirs.map((d) => d.maxBatch())),
  };
}
