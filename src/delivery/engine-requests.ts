import type { AttemptResult, ClaimedDelivery } from '../store/ledger';
import type { DestinationDirectory, ResolvedDestination } from './destinations';

/** The engine's requests: claimed deliveries grouped per destination, in batches of its connector's size. */
export interface EngineRequest {
  dest: ResolvedDestination | undefined;
  batch: ClaimedDelivery[];
}

/** Deliveries grouped per destination into requests of at most the connector's batch size. */
export function chunkByDestination(claimed: ClaimedDelivery[], destinations: DestinationDirectory): EngineRequest[] {
  const groups = new Map<string, ClaimedDelivery[]>();
  for (const c of claimed) {
    const list = groups.get(c.delivery.destinationId) ?? [];
    list.push(c);
    groups.set(c.delivery.destinationId, list);
  }
  const out: EngineRequest[] = [];
  for (const [id, list] of groups) {
    const dest = destinations.get(id);
    const size = dest?.connector.limits.maxBatch ?? 1;
    for (let i = 0; i < list.length; i += size) out.push({ dest, batch: list.slice(i, i + size) });
  }
  return out;
}

/** The attempt of a delivery whose destination is no longer configured: dead, with the reason. */
export function orphan(deliveryId: string, destinationId: string, attempt: number, owner: string, t: number): AttemptResult {
  const message = `destination "${destinationId}" is no longer configured`;
  return {
    deliveryId,
    leaseOwner: owner,
    destinationId,
    status: 'dead',
    nextAttemptAt: t,
    health: 'neutral',
    attempt: {
      attempt,
      startedAt: t,
      durationMs: 0,
      exchangeId: null,
      request: null,
      responseStatus: null,
      responseBody: null,
      outcome: 'failed',
      errorKind: 'config',
      errorMessage: message,
      platformCode: null,
      note: null,
      nextStep: 'dead',
      nextAttemptAt: null,
    },
  };
}
