import type { DestinationConfig } from '../config';
import { ConfigError } from '../config';
import type { AnyConnector } from '../connector-kit/define';
import type { ConnectorRegistry } from '../connector-kit/registry';
import { secretValues } from '../connector-kit/redact';

/** A configured destination with its connector and validated settings/credentials. */
export interface ResolvedDestination {
  config: DestinationConfig;
  connector: AnyConnector;
  settings: unknown;
  credentials: unknown;
  /** Credential values, to redact from anything recorded. */
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
      out.set(d.id, { config: d, connector, settings: settings.data, credentials: credentials.data, secrets: secretValues(credentials.data) });
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid destinations:\n  ${problems.join('\n  ')}`);
  return out;
}
