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

/**
 * How many rows a claim asks for: `room` requests' worth at the rows per request the last claim
 * that found any came to. Sized by the largest batch alone (a TikTok destination beside partner
 * postbacks: 50 rows per free slot), a claim over one-per-request rows took up to 1,000 rows and
 * gave nearly all back, every round (bench/README.md "Delivery engine CPU (h-deliver, round 5)").
 * It starts at the largest batch; a claim cut at its limit with slots left over (its batches may
 * have taken more rows) asks at the largest batch again.
 */
export function claimSizer(destinations: Pick<DestinationDirectory, 'maxBatch'>) {
  let rowsPerRequest = 0;
  return {
    limit(room: number): number {
      const rate = rowsPerRequest > 0 ? Math.min(rowsPerRequest, destinations.maxBatch()) : destinations.maxBatch();
      return Math.min(1000, Math.ceil(room * rate));
    },
    found(rows: number, requests: number, limit: number, room: number): void {
      if (requests === 0) return;
      rowsPerRequest = rows === limit && requests < room ? destinations.maxBatch() : rows / requests;
    },
  };
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
