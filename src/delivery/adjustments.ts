import { type Adjustment, type AdjustmentType, adjustmentDestinationId, parseAdjustmentDestinationId } from '../connector-kit/adjustment';
import type { ConversionRecord } from '../conversions/conversion';
import { sameDecimal } from '../conversions/warnings';
import type { AdjustmentTarget, DeliveryRow, DeliveryStatus } from '../store/ledger';
import type { DestinationDirectory, ResolvedDestination } from './destinations';

/**
 * Corrections (issue 11 item 6). A conversion the network reverses after it was delivered —
 * rejected by a later postback (retraction) or sent again with another payout (restatement) — is
 * corrected where the platform can do it and the destination opted in (`retractions: true`).
 *
 * Design: a correction is a delivery of its own, on the destination id `<destination>#<type>`
 * (`#` never occurs in a configured id), with the `adjustment` JSON column (migration 61). So the
 * UNIQUE (conversion_id, destination_id) of deliveries makes "one retraction per conversion and
 * destination" a constraint, and everything else is the engine's: claimed with a lease, retried
 * with backoff, attempts recorded, replayable, crash-safe (the row is written in the transaction
 * of the status change; its `at` and de-duplication key never change on a resend). The directory
 * below resolves such an id to the connector's `adjustments` connector, with the destination's
 * settings and credentials; a pause lands on the correction's own id and is lifted with the
 * destination's (step-ledger resumeDestination).
 */

/** What a destination can do about a correction of this type. */
export type AdjustmentSupport = 'enabled' | 'not_enabled' | 'unsupported';
export type SupportOf = (destinationId: string, type: AdjustmentType) => AdjustmentSupport;

export function supportFrom(directory: Pick<DestinationDirectory, 'get'>): SupportOf {
  return (destinationId, type) => {
    const dest = directory.get(destinationId);
    const adjusts = dest?.connector.adjustments;
    if (!dest || !adjusts || !(adjusts.adjustmentTypes ?? []).includes(type)) return 'unsupported';
    return dest.config.retractions === true ? 'enabled' : 'not_enabled';
  };
}

/** The engine's and the admin routes' view: `<destination>#<type>` resolves to the corrections connector. */
export function withAdjustments(inner: DestinationDirectory): DestinationDirectory {
  const cache = new Map<string, ResolvedDestination | undefined>();
  return {
    get(id) {
      const parsed = parseAdjustmentDestinationId(id);
      if (!parsed) return inner.get(id);
      if (!cache.has(id)) {
        const base = inner.get(parsed.base);
        const adjusts = base?.connector.adjustments;
        // Resolved whatever `retractions` says now: opting out later must not strand queued ones.
        cache.set(id, base && adjusts ? { ...base, config: { ...base.config, id }, connector: adjusts } : undefined);
      }
      return cache.get(id);
    },
    heldIds: () => inner.heldIds().flatMap((id) => [id, adjustmentDestinationId(id, 'retraction'), adjustmentDestinationId(id, 'restatement')]),
    maxBatch: () => inner.maxBatch(),
  };
}

/** The conversion as first delivered to each destination (not a correction), by destination. */
function firstDeliveries(deliveries: readonly DeliveryRow[]): DeliveryRow[] {
  return deliveries.filter((d) => !d.adjustment && !parseAdjustmentDestinationId(d.destinationId));
}

/**
 * Pure, inside the repeat's transaction: which corrections `incoming` calls for. Only deliveries
 * that succeeded are corrected (one still pending is cancelled by the rejection instead); a
 * retraction is queued once; a restatement when the value differs from the last one sent.
 */
export function planAdjustments(
  stored: ConversionRecord,
  incoming: ConversionRecord,
  deliveries: readonly DeliveryRow[],
  support: SupportOf,
  now: number,
): AdjustmentTarget[] {
  const byId = new Map(deliveries.map((d) => [d.destinationId, d]));
  const out: AdjustmentTarget[] = [];
  const retract = stored.status !== 'rejected' && incoming.status === 'rejected';
  // The time the platforms were given for the conversion: never before its click + 1 s (Google's
  // CONVERSION_PRECEDES_EVENT rule, connectors/_shared/google.ts conversionTimeMs).
  const conversionAt = Math.max(stored.receivedAt, (stored.click?.createdAt ?? 0) + 1000);
  for (const d of firstDeliveries(deliveries)) {
    if (d.status !== 'succeeded') continue;
    const target = (type: AdjustmentType, extra: Partial<Adjustment> = {}, after?: number): AdjustmentTarget => ({
      destinationId: adjustmentDestinationId(d.destinationId, type),
      connector: d.connector,
      dedupKey: d.dedupKey,
      maxAttempts: d.maxAttempts,
      adjustment: { type, at: adjustmentTime(now, conversionAt, after), of: d.id, ...extra },
    });
    const retraction = byId.get(adjustmentDestinationId(d.destinationId, 'retraction'));
    if (retract) {
      if (!retraction && support(d.destinationId, 'retraction') === 'enabled') out.push(target('retraction'));
      continue;
    }
    if (retraction || stored.status === 'rejected' || incoming.status !== stored.status || incoming.payout === null) continue;
    const restated = byId.get(adjustmentDestinationId(d.destinationId, 'restatement'))?.adjustment;
    const current = restated?.value ?? stored.payout;
    const sameCurrency = (restated?.currency ?? stored.currency) === incoming.currency;
    if (current !== null && sameCurrency && sameDecimal(current, incoming.payout)) continue;
    if (support(d.destinationId, 'restatement') === 'enabled') {
      out.push(target('restatement', { value: incoming.payout, currency: incoming.currency }, restated?.at));
    }
  }
  return out;
}

/**
 * Platforms write adjustment times in whole seconds (Google: `yyyy-mm-dd hh:mm:ss±hh:mm`), must
 * see them after the conversion, and take a second restatement only with a later time (the same
 * time is "a restatement with this timestamp already exists", i.e. the newer value is dropped).
 * So: a second after the conversion's at least, and a second after the previous restatement.
 */
export function adjustmentTime(now: number, conversionAt: number, previousAt?: number): number {
  const nextSecond = (ms: number) => Math.floor(ms / 1000) * 1000 + 1000;
  return Math.max(now, nextSecond(conversionAt), previousAt === undefined ? 0 : nextSecond(previousAt));
}

export interface CorrectionView {
  destination: string;
  type: AdjustmentType;
  /** queued/sent/failed like a delivery; `cannot_be_corrected`: the platform has no way; `not_enabled`: the destination did not opt in. */
  status: DeliveryStatus | 'cannot_be_corrected' | 'not_enabled';
  delivery_id: string | null;
  value: string | null;
  currency: string | null;
  adjusted_at: number | null;
  last_error: string | null;
}

/**
 * GET /v1/conversions/:id `corrections`: each correction queued (with its delivery's state), and
 * for a rejected conversion each destination that received it and cannot be (or is not set to
 * be) corrected — so the console says where the conversion still counts.
 */
export function correctionsView(conversion: ConversionRecord, deliveries: readonly DeliveryRow[], support: SupportOf): CorrectionView[] {
  const out: CorrectionView[] = [];
  for (const d of deliveries) {
    const parsed = parseAdjustmentDestinationId(d.destinationId);
    if (!parsed || !d.adjustment) continue;
    out.push({
      destination: parsed.base,
      type: d.adjustment.type,
      status: d.status,
      delivery_id: d.id,
      value: d.adjustment.value ?? null,
      currency: d.adjustment.currency ?? null,
      adjusted_at: d.adjustment.at,
      last_error: d.lastError,
    });
  }
  if (conversion.status === 'rejected') {
    for (const d of firstDeliveries(deliveries)) {
      if (d.status !== 'succeeded' || out.some((c) => c.destination === d.destinationId && c.type === 'retraction')) continue;
      const s = support(d.destinationId, 'retraction');
      out.push({
        destination: d.destinationId,
        type: 'retraction',
        status: s === 'unsupported' ? 'cannot_be_corrected' : 'not_enabled',
        delivery_id: null,
        value: null,
        currency: null,
        adjusted_at: null,
        last_error: null,
      });
    }
  }
  return out;
}
