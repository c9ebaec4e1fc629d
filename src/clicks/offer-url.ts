import { pairName } from '../http/form-decode';

/**
 * Adds parameters to an offer URL without touching the ones it already has: their original
 * encoding is kept byte for byte (re-serialising through URLSearchParams would turn %20 into +
 * and can break a network's own signed links). A parameter we set replaces one of the same name.
 */
export function withParams(offerUrl: string, params: ReadonlyArray<readonly [string, string]>): string {
  const hashAt = offerUrl.indexOf('#');
  const beforeHash = hashAt === -1 ? offerUrl : offerUrl.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : offerUrl.slice(hashAt);
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? '' : beforeHash.slice(queryAt + 1);

  const names = new Set(params.map(([k]) => k));
  const kept = query === '' ? [] : query.split('&').filter((pair) => pair !== '' && !names.has(pairName(pair)));
  const added = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return `${base}?${[...kept, ...added].join('&')}${hash}`;
}
