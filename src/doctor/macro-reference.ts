import { MACRO_NAMES } from '../../connectors/http-postback/map';
import { PARTNER_MACROS } from '../../connectors/partner-postback/macros';
import type { MacroDialect } from './findings';

/**
 * The macro references the doctor checks against. Everflow's is the partner-postback table
 * (connectors/partner-postback/macros.ts, case-sensitive); Closeloop's is the http-postback
 * connector's. Both are the lists the renderers use, so the doctor can never disagree with what
 * is actually substituted.
 */
export const MACROS: Record<MacroDialect, ReadonlySet<string>> = {
  everflow: new Set<string>(PARTNER_MACROS),
  closeloop: new Set<string>(MACRO_NAMES),
};

/**
 * Click ids that only one ad platform's traffic carries
 * (https://www.ourdreamaiaffiliate.com/onboarding/postbacks: "expecting {fbclid} on every
 * fire when only Meta traffic carries it"). The keys of `platforms` are the words accepted in
 * `context.traffic_sources`.
 */
export const TRAFFIC_SOURCE_MACROS: Record<string, { label: string; platforms: readonly string[] }> = {
  fbclid: { label: 'Meta (Facebook/Instagram)', platforms: ['meta', 'facebook', 'instagram'] },
  gclid: { label: 'Google Ads', platforms: ['google', 'google_ads'] },
  gbraid: { label: 'Google Ads (iOS app campaigns)', platforms: ['google', 'google_ads'] },
  wbraid: { label: 'Google Ads (iOS web campaigns)', platforms: ['google', 'google_ads'] },
  ttclid: { label: 'TikTok', platforms: ['tiktok'] },
  rdt_cid: { label: 'Reddit', platforms: ['reddit'] },
  msclkid: { label: 'Microsoft Ads (Bing)', platforms: ['microsoft', 'bing'] },
  twclid: { label: 'X (Twitter)', platforms: ['x', 'twitter'] },
  li_fat_id: { label: 'LinkedIn', platforms: ['linkedin'] },
  ScCid: { label: 'Snapchat', platforms: ['snapchat'] },
  epik: { label: 'Pinterest', platforms: ['pinterest'] },
};

/** Names people type for a value the reference spells differently. */
const HINTS: Record<MacroDialect, Record<string, string>> = {
  everflow: {
    click_id: 'sub5',
    clickid: 'sub5',
    cid: 'sub5',
    subid: 'sub5',
    sub_id: 'sub5',
    tx_id: 'transaction_id',
    txid: 'transaction_id',
    tid: 'transaction_id',
    amount: 'payout',
    price: 'payout',
    affid: 'affiliate_id',
    aff_id: 'affiliate_id',
    oid: 'offer_id',
  },
  closeloop: {
    sub5: 'click_id',
    clickid: 'click_id',
    cid: 'click_id',
    txid: 'tx_id',
    amount: 'payout',
    price: 'payout',
  },
};

/** The click-id and transaction-id macros of each reference (required-parameter checks). */
export const CLICK_ID_MACROS: Record<MacroDialect, readonly string[]> = {
  everflow: [...Array.from({ length: 10 }, (_, i) => `sub${i + 1}`), 'transaction_id'],
  closeloop: ['click_id', 'platform_click_id', 'gclid', 'gbraid', 'wbraid', 'fbclid', 'ttclid', 'rdt_cid'],
};
export const TRANSACTION_MACROS: Record<MacroDialect, readonly string[]> = {
  everflow: ['transaction_id', 'conversion_id', 'order_id', 'event_id'],
  closeloop: ['transaction_id', 'tx_id', 'conversion_id', 'dedup_key'],
};
export const PAYOUT_MACROS: Record<MacroDialect, readonly string[]> = {
  everflow: ['payout', 'payout_amount', 'revenue', 'sale_amount'],
  closeloop: ['payout'],
};

const loose = (s: string) => s.toLowerCase().replace(/[\s_.-]/g, '');

/** Levenshtein distance, bounded: stops early once every cell exceeds `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] as number;
}

/**
 * The macro a mistyped name most likely meant: same letters once case, `_`, `-` and spaces are
 * ignored (`{Sub5}`, `{sub_5}`, `{sub-5}` → sub5), a known alias (`{click_id}` → sub5 in Everflow),
 * or one or two typos away (`{payot}` → payout). null when nothing is close.
 */
export function didYouMean(name: string, dialect: MacroDialect): string | null {
  const reference = [...MACROS[dialect]];
  const l = loose(name);
  const same = reference.find((m) => loose(m) === l);
  if (same) return same;
  const hint = HINTS[dialect][name.toLowerCase()] ?? HINTS[dialect][l];
  if (hint) return hint;
  const max = l.length <= 4 ? 1 : 2;
  let best: { m: string; d: number } | null = null;
  for (const m of reference) {
    const d = distance(l, loose(m), max);
    if (d <= max && (!best || d < best.d)) best = { m, d };
  }
  return best?.m ?? null;
}
