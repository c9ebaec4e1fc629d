import { pairName } from '../http/form-decode';

/** An offer URL split once (per configured link, not per click): see offerTargets. */
export interface CompiledOfferUrl {
  /** Everything before the query. */
  base: string;
  /** The query's non-empty `name=value` pairs as written, with their decoded names. */
  pairs: ReadonlyArray<{ raw: string; name: string }>;
  /** `#…` or ''. */
  hash: string;
}

export function compileOfferUrl(offerUrl: string): CompiledOfferUrl {
  const hashAt = offerUrl.indexOf('#');
  const beforeHash = hashAt === -1 ? offerUrl : offerUrl.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  const query = queryAt === -1 ? '' : beforeHash.slice(queryAt + 1);
  return {
    base: queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt),
    pairs: query === '' ? [] : query.split('&').flatMap((raw) => (raw === '' ? [] : [{ raw, name: pairName(raw) }])),
    hash: hashAt === -1 ? '' : offerUrl.slice(hashAt),
  };
}

/** Whether `name` is one of the parameters being set. */
const isSet = (params: ReadonlyArray<readonly [string, string]>, name: string): boolean => {
  for (const p of params) if (p[0] === name) return true;
  return false;
};

/**
 * Adds parameters to an offer URL without touching the ones it already has: their original
 * encoding is kept byte for byte (re-serialising through URLSearchParams would turn %20 into +
 * and can break a network's own signed links). A parameter we set replaces one of the same name.
 */
export function withParams(offerUrl: string, params: ReadonlyArray<readonly [string, string]>): string {
  return offerTargets(compileOfferUrl(offerUrl), params, () => false).target;
}

/**
 * The redirect's two URLs in one pass: the target (withParams) and the same URL as
 * stripPersonalQuery (src/privacy/personal-params.ts) gives it for storage — without the pairs
 * whose decoded name `isPersonal`, and without a fragment holding `=` or `@`. Both are built from
 * the same pairs, so the landing URL is the target's, stripped, as if it were parsed again.
 */
export function offerTargets(
  offer: CompiledOfferUrl,
  params: ReadonlyArray<readonly [string, string]>,
  isPersonal: (name: string) => boolean,
): { target: string; landing: string } {
  let query = '';
  let kept = '';
  for (const p of offer.pairs) {
    if (isSet(params, p.name)) continue;
    query += query === '' ? p.raw : `&${p.raw}`;
    if (!isPersonal(p.name)) kept += kept === '' ? p.raw : `&${p.raw}`;
  }
  for (const [k, v] of params) {
    const name = encodeURIComponent(k);
    const pair = `${name}=${encodeURIComponent(v)}`;
    query += query === '' ? pair : `&${pair}`;
    // The name as stripPersonalQuery decodes it from the target (encodeURIComponent never writes `+`).
    if (!isPersonal(pairName(name))) kept += kept === '' ? pair : `&${pair}`;
  }
  return {
    target: `${offer.base}?${query}${offer.hash}`,
    landing: `${offer.base}${kept === '' ? '' : `?${kept}`}${/[=@]/.test(offer.hash) ? '' : offer.hash}`,
  };
}
