import type { AnyConnector } from './define';

export interface ConnectorRegistry {
  get(id: string): AnyConnector | undefined;
  ids(): string[];
  all(): AnyConnector[];
}

export function createRegistry(connectors: readonly AnyConnector[]): ConnectorRegistry {
  const byId = new Map<string, AnyConnector>();
  for (const c of connectors) {
    if (byId.has(c.id)) throw new Error(`connector id "${c.id}" is registered twice`);
    byId.set(c.id, c);
  }
  return {
    get: (id) => byId.get(id),
    ids: () => [...byId.keys()],
    all: () => [...byId.values()],
  };
}
