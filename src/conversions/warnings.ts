import { type AdjustmentType, parseAdjustmentDestinationId } from '../connector-kit/adjustment';
import type { SupportOf } from '../delivery/adjustments';
import type { PostbackResult } from '../store/ledger';
import type { ConversionRecord } from './conversion';

/** At most this many warnings are kept on one conversion (a network repeating a postback all day must not grow the row without end). */
export const MAX_CONVERSION_WARNINGS = 50;

/**
 * What a repeated postback changed, or tried to change, on a stored conversion. Each of these
 * used to be answered as a plain duplicate; they are answered with a warning and kept on the
 * conversion (GET /v1/conversions/:id `warnings`), because each one means money is counted
 * differently here and at the network. Where a correction was queued (src/delivery/adjustments.ts)
 * the warning says so; where the platform has none, it records that the conversion cannot be
 * retracted there.
 */
export function repeatWarnings(incoming: ConversionRecord, result: PostbackResult, support: SupportOf = () => 'unsupported'): string[] {
  const stored = result.conversion;
  if (!result.duplicate && !result.updated) return [];
  const out: string[] = [];
  const queued = (type: AdjustmentType) =>
    (result.adjustments ?? []).filter((a) => a.adjustment.type === type).map((a) => parseAdjustmentDestinationId(a.destinationId)?.base ?? a.destinationId);
  const sent = result.deliveries.filter((d) => d.status === 'succeeded' && !parseAdjustmentDestinationId(d.destinationId)).map((d) => d.destinationId);
  if (result.duplicate && stored.status !== incoming.status) {
    out.push(`status "${incoming.status}" ignored: the conversion is already ${stored.status}`);
  }
  if (incoming.payout !== null && (stored.payout === null || !sameDecimal(stored.payout, incoming.payout))) {
    const restated = queued('restatement');
    const head =
      `transaction id "${incoming.transactionId}" was received again with payout ${incoming.payout} ${incoming.currency}; ` +
      `the stored payout ${stored.payout ?? '(none)'} ${stored.currency} is kept`;
    const byHand = sent.filter((id) => !restated.includes(id));
    if (restated.length > 0) {
      out.push(
        `${head}; a restatement to ${incoming.payout} ${incoming.currency} is queued for ${restated.join(', ')}${byHand.length > 0 ? ` — correct ${byHand.join(', ')} by hand` : ''}`,
      );
    } else if (stored.status !== 'rejected' && incoming.status !== 'rejected') {
      out.push(`${head} and nothing is re-sent — correct it at the network or in the destination by hand`);
    }
  }
  // Consent is the first postback's: a repeat's different signal would otherwise vanish silently
  // (its deliveries, even those routed now on a status change, read the stored conversion).
  const changed = (['adUserData', 'adPersonalization', 'limitedDataUse'] as const).filter(
    (k) => incoming.consent?.[k] !== undefined && incoming.consent[k] !== stored.consent?.[k],
  );
  if (changed.length > 0) {
    const said = (c: ConversionRecord['consent']) => changed.map((k) => `${k} ${c?.[k] ?? '(not said)'}`).join(', ');
    out.push(`consent ${said(incoming.consent)} ignored: the conversion keeps its first consent (${said(stored.consent)})`);
  }
  if (result.updated && stored.status === 'rejected' && sent.length > 0) {
    const retracted = queued('retraction');
    const head = `status changed to rejected after the conversion was already delivered to ${sent.join(', ')}`;
    const notEnabled = sent.filter((id) => !retracted.includes(id) && support(id, 'retraction') === 'not_enabled');
    const cannot = sent.filter((id) => !retracted.includes(id) && support(id, 'retraction') === 'unsupported');
    const parts = [
      ...(retracted.length > 0 ? [`a retraction is queued for ${retracted.join(', ')}`] : []),
      ...(notEnabled.length > 0
        ? [
            `${notEnabled.join(', ')} still count${notEnabled.length === 1 ? 's' : ''} it — retract it there by hand, or set retractions: true on the destination`,
          ]
        : []),
      ...(cannot.length > 0
        ? [`it cannot be retracted at ${cannot.join(', ')} (the platform has no way to take a conversion back) — those platforms still count it`]
        : []),
    ];
    out.push(`${head}: ${parts.join('; ')}`);
  }
  return out;
}

/** Warnings not already on the conversion, in order, within the cap. */
export function newWarnings(existing: readonly string[] | undefined, incoming: readonly string[]): string[] {
  const seen = new Set(existing ?? []);
  const room = MAX_CONVERSION_WARNINGS - seen.size;
  const out: string[] = [];
  for (const w of incoming) {
    if (seen.has(w) || out.length >= room) continue;
    seen.add(w);
    out.push(w);
  }
  return out;
}

/** "12.5" and "12.50" are the same amount: compared as decimal text, never through a float. */
export function sameDecimal(a: string, b: string): boolean {
  const canon = (s: string) => {
    const [int = '', frac = ''] = s.trim().split('.');
    return `${int.replace(/^0+(?=\d)/, '')}.${frac.replace(/0+$/, '')}`;
  };
  return canon(a) === canon(b);
}
