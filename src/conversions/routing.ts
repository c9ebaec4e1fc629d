import { hash } from 'node:crypto';
import type { DestinationConfig, SourceConfig } from '../config';
import type { RouteTarget } from '../store/ledger';
import type { ConversionRecord } from './conversion';

/**
 * The stable de-duplication key of (conversion, destination): the same on every retry and on
 * every process, so the platform can collapse a re-sent event (Meta event_id, Google order_id,
 * TikTok event_id, Reddit conversion_id).
 */
export function dedupKey(c: Pick<ConversionRecord, 'source' | 'transactionId' | 'event'>, destinationId: string): string {
  // crypto.hash: one call, no Hash object (the same digest as createHash().update().digest()).
  return hash('sha256', `${c.source}\u0000${c.transactionId}\u0000${c.event}\u0000${destinationId}`, 'hex').slice(0, 32);
}

export function matchesFilters(c: ConversionRecord, d: DestinationConfig): boolean {
  if (!d.enabled) return false;
  if (!c.matched && !d.acceptUnmatched) return false;
  const f = d.filters;
  if (f.sources && !f.sources.includes(c.source)) return false;
  if (f.platforms && !(c.click?.platform && f.platforms.includes(c.click.platform))) return false;
  if (f.links && !(c.click?.link && f.links.includes(c.click.link))) return false;
  if (f.offers && !(c.offerId && f.offers.includes(c.offerId))) return false;
  if (f.events && !f.events.includes(c.event)) return false;
  if (f.statuses && !f.statuses.includes(c.status)) return false;
  return true;
}

/** Pure: which destinations get a delivery for this conversion. */
export function route(c: ConversionRecord, source: SourceConfig, destinations: readonly DestinationConfig[], defaultMaxAttempts: number): RouteTarget[] {
  if (!source.forwardStatuses.includes(c.status)) return [];
  return destinations
    .filter((d) => matchesFilters(c, d))
    .map((d) => ({
      destinationId: d.id,
      connector: d.connector,
      dedupKey: dedupKey(c, d.id),
      maxAttempts: d.maxAttempts ?? defaultMaxAttempts,
    }));
}
