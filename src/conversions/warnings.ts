import type { PostbackResult } from '../store/ledger';
import type { ConversionRecord } from './conversion';

/** At most this many warnings are kept on one conversion (a network repeating a postback all day must not grow the row without end). */
export const MAX_CONVERSION_WARNINGS = 50;

/**
 * What a repeated postback changed, or tried to change, on a stored conversion. Each of these
 * used to be answered as a plain duplicate; they are answered with a warning and kept on the
 * conversion (GET /v1/conversions/:id `warnings`), because each one means money is counted
 * differently here and at the network.
 */
export function repeatWarnings(incoming: ConversionRecord, result: PostbackResult): string[] {
  const stored = result.conversion;
  if (!result.duplicate && !result.updated) return [];
  const out: string[] = [];
  if (result.duplicate && stored.status !== incoming.status) {
    out.push(`status "${incoming.status}" ignored: the conversion is already ${stored.status}`);
  }
  if (incoming.payout !== null && (stored.payout === null || !sameDecimal(stored.payout, incoming.payout))) {
    out.push(
      `transaction id "${incoming.transactionId}" was received again with payout ${incoming.payout} ${incoming.currency}; ` +
        `the stored payout ${stored.payout ?? '(none)'} ${stored.currency} is kept and nothing is re-sent — correct it at the network or in the destination by hand`,
    );
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
  const sent = result.deliveries.filter((d) => d.status === 'succeeded').map((d) => d.destinationId);
  if (result.updated && stored.status === 'rejected' && sent.length > 0) {
    out.push(
      `status changed to rejected after the conversion was already delivered to ${sent.join(', ')}: ` +
        'those platforms still count it — retract it there by hand',
    );
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
