import { IDENTIFIER_NAMES, type IdentifierName } from '../connector-kit/identifiers-sent';
import type { MatchQualityRow } from '../store/ledger';

/**
 * Event match quality you can see (issue 11 item 7): per destination, of the conversions it
 * delivered, what share carried each matching signal — names only, from what the engine stored
 * per delivery when it built the request. Pure: the ledger's grouped rows in, the view out.
 */

/** A signal missing on at least this share of the measured deliveries gets a hint. */
export const HINT_MISSING_SHARE = 0.2;

export interface MatchQualityDestination {
  destination: string;
  connector: string;
  /** The connector names the signals its requests carried (identifiersSent); false: nothing to show. */
  supported: boolean;
  /** Succeeded deliveries created in the window. */
  delivered: number;
  /** Of those, the ones whose signal names were stored (not those recorded before migration 62). */
  measured: number;
  identifiers: Array<{ name: IdentifierName; count: number; share: number | null }>;
  /** Most useful first (HINT_ORDER). */
  hints: Array<{ identifier: IdentifierName; missing_share: number; message: string }>;
}

export interface MatchQualityTarget {
  id: string;
  connector: { id: string; signals?: readonly IdentifierName[]; identifiersSent?: unknown };
}

/** The platform's own click-id parameter per connector: what the click id hint tells the user to keep on the ad's URL. */
const CLICK_PARAM: Record<string, string> = {
  'google-ads': 'gclid (or gbraid / wbraid)',
  'google-data-manager': 'gclid (or gbraid / wbraid)',
  tiktok: 'ttclid',
  reddit: 'rdt_cid',
};

/**
 * Hints come most useful first: a click id is the strongest match key, then the hashed email, then
 * the browser pair; names alone rarely match anyone.
 */
const HINT_ORDER: readonly IdentifierName[] = ['click_id', 'fbc', 'email', 'ip', 'user_agent', 'phone', 'external_id', 'fbp', 'first_name', 'last_name'];

const pct = (share: number) => `${Math.round(share * 100)} %`;

/** What to change so more conversions carry `name` (the console shows it next to a low share). */
export function hintFor(name: IdentifierName, connector: string, missing: number): string {
  const head = `${name} missing on ${pct(missing)}`;
  switch (name) {
    case 'click_id':
      return `${head} — keep ${CLICK_PARAM[connector] ?? "the platform's click id"} on the ad's final URL so it reaches your /c/ link or landing-page script, and make the network send {sub5} back as click_id`;
    case 'fbc':
      return `${head} — add fbclid to your links: point the Meta ad at the /c/ redirect link (Meta appends fbclid), or let the landing-page script post fbclid or the _fbc cookie`;
    case 'fbp':
      return `${head} — only the landing-page script can read the _fbp cookie: post it with POST /v1/clicks`;
    case 'ip':
    case 'user_agent':
      return `${head} — it comes from the stored click: make the network send {sub5} back as click_id, and capture clicks through the /c/ link or landing-page script`;
    case 'email':
    case 'phone':
    case 'first_name':
    case 'last_name':
    case 'external_id':
      return `${head} — have the network add ${name}=… to the postback (hashed at intake, never stored raw)`;
  }
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** One entry per target, in the targets' order; rows of destinations not in `targets` are ignored. */
export function matchQualityView(rows: readonly MatchQualityRow[], targets: readonly MatchQualityTarget[]): MatchQualityDestination[] {
  return targets.map(({ id, connector }) => {
    const supported = typeof connector.identifiersSent === 'function';
    let delivered = 0;
    let measured = 0;
    const counts = new Map<string, number>();
    for (const r of rows) {
      if (r.destinationId !== id) continue;
      delivered += r.n;
      if (!r.identifiers) continue;
      measured += r.n;
      for (const name of r.identifiers) counts.set(name, (counts.get(name) ?? 0) + r.n);
    }
    const listed = new Set<string>([...(connector.signals ?? []), ...counts.keys()]);
    const names = supported ? IDENTIFIER_NAMES.filter((n) => listed.has(n)) : [];
    const identifiers = names.map((name) => {
      const count = counts.get(name) ?? 0;
      return { name, count, share: measured > 0 ? round3(count / measured) : null };
    });
    const hints = identifiers
      .flatMap(({ name, share }) => {
        if (share === null || 1 - share < HINT_MISSING_SHARE) return [];
        const missing = round3(1 - share);
        return [{ identifier: name, missing_share: missing, message: hintFor(name, connector.id, missing) }];
      })
      .sort((a, b) => HINT_ORDER.indexOf(a.identifier) - HINT_ORDER.indexOf(b.identifier));
    return { destination: id, connector: connector.id, supported, delivered, measured, identifiers, hints };
  });
}
