import type { z } from 'zod';

/**
 * Walks the raw (interpolated) config alongside the zod schema, before zod parses it:
 *
 * - every key an object schema does not know is reported, with the closest known key as a
 *   suggestion (a misspelled `destinatons:` would otherwise be stripped silently and the gateway
 *   would start with nothing to forward to);
 * - a string that came from `${ENV}` where the schema wants a number or a boolean is coerced
 *   (environment variables are always text).
 *
 * It reads the schema's own structure, so a key another section adds is known as soon as it is
 * in the schema — no list to keep in step. Records (`settings`, `credentials`) are free-form and
 * not checked; unions are not descended into.
 */
export interface UnknownKey {
  path: string;
  key: string;
  suggestion: string | null;
}

type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strip optional/default/prefault/nullable/pipe wrappers down to the schema that shapes the value. */
function unwrap(schema: AnySchema): AnySchema {
  for (let s = schema, i = 0; i < 20; i++) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in && d.out) s = defOf(d.in).type === 'transform' ? d.out : d.in;
    else return s;
  }
  return schema;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function walkConfig(schema: AnySchema, value: unknown, fromEnv: ReadonlySet<string>): { value: unknown; unknown: UnknownKey[] } {
  const unknown: UnknownKey[] = [];
  const visit = (s: AnySchema, v: unknown, path: string[]): unknown => {
    const inner = unwrap(s);
    const d = defOf(inner);
    const here = path.join('.');
    if (typeof v === 'string' && fromEnv.has(here)) return coerce(d.type, v);
    if (d.type === 'object' && d.shape && isPlainObject(v)) {
      const shape = d.shape;
      const known = Object.keys(shape);
      return Object.fromEntries(
        Object.entries(v).map(([k, child]) => {
          const childSchema = shape[k];
          if (!childSchema) {
            unknown.push({ path: [...path, k].join('.'), key: k, suggestion: closest(k, known) });
            return [k, child];
          }
          return [k, visit(childSchema, child, [...path, k])];
        }),
      );
    }
    if (d.type === 'array' && d.element && Array.isArray(v)) {
      const element = d.element;
      return v.map((item, i) => visit(element, item, [...path, String(i)]));
    }
    return v;
  };
  return { value: visit(schema, value, []), unknown };
}

/** Only a value that reads unambiguously as the wanted type is coerced; anything else stays text and zod names it. */
function coerce(type: string, v: string): unknown {
  if (type === 'number' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  if (type === 'boolean') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return v;
}

/** The known key nearest to `key` (Levenshtein, case-insensitive), if it is near enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = distance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
