import { pairName } from '../http/form-decode';
import { hashPersonal, personalKindOf, type HashedIdentifiers, type PersonalFieldsConfig, type PersonalKind } from './identifiers';

/** What a parameter record looks like once its personal fields are taken out. */
export interface SplitParams {
  /** The other parameters, untouched. */
  params: Record<string, unknown>;
  identifiers: HashedIdentifiers;
  warnings: string[];
  /** Names of the personal parameters found (for redacting logs of the same request). */
  personal: string[];
}

export const REDACTED = '[redacted]';

/**
 * Takes the personal parameters out of a postback's parameters and hashes them (identifiers.ts).
 * Runs before anything is stored, so the raw values never reach `conversions.params`, the
 * rejections log or a delivery.
 */
export function splitPersonal(params: Record<string, unknown>, index: ReadonlyMap<string, PersonalKind>, config: PersonalFieldsConfig = {}): SplitParams {
  const rest: Record<string, unknown> = {};
  const identifiers: HashedIdentifiers = {};
  const warnings: string[] = [];
  const personal: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const kind = personalKindOf(index, name);
    if (!kind) {
      rest[name] = value;
      continue;
    }
    personal.push(name);
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
    if (values.length > 1) warnings.push(`parameter "${name}" was given more than once: the first value is used`);
    const first = values[0];
    if (first === undefined) continue;
    const { hashes, warning } = hashPersonal(kind, String(first), name, config);
    if (warning) warnings.push(warning);
    // The first parameter of a kind wins (`email` and `em` both sent: keep one).
    for (const [k, h] of Object.entries(hashes) as Array<[keyof HashedIdentifiers, string]>) identifiers[k] ??= h;
  }
  return { params: rest, identifiers, warnings, personal };
}

/** The same record with every personal value replaced by `[redacted]` (for logs of refused requests). */
export function redactPersonal<T>(params: Record<string, T>, index: ReadonlyMap<string, PersonalKind>): Record<string, T | typeof REDACTED> {
  const out: Record<string, T | typeof REDACTED> = {};
  for (const [k, v] of Object.entries(params)) out[k] = personalKindOf(index, k) ? REDACTED : v;
  return out;
}

/**
 * A URL without its personal query parameters (`?email=…` on a landing page), so it can be
 * stored and forwarded (TikTok `page.url`, Meta `event_source_url`). A fragment that looks like
 * parameters or an address (`#email=…`) goes too: attribution never needs it.
 */
export function stripPersonalQuery(url: string | null, index: ReadonlyMap<string, PersonalKind>): string | null {
  if (url === null) return null;
  const hashAt = url.indexOf('#');
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const beforeFragment = hashAt === -1 ? url : url.slice(0, hashAt);
  const q = beforeFragment.indexOf('?');
  const base = q === -1 ? beforeFragment : beforeFragment.slice(0, q);
  // Work on the raw pairs, so the kept ones stay byte for byte as they came (a signed URL keeps its signature).
  const kept = (q === -1 ? [] : beforeFragment.slice(q + 1).split('&')).filter((pair) => pair !== '' && !personalKindOf(index, pairName(pair)));
  const cleanFragment = /[=@]/.test(fragment) ? '' : fragment;
  return `${base}${kept.length > 0 ? `?${kept.join('&')}` : ''}${cleanFragment}`;
}
