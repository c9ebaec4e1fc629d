import type { z } from 'zod';

/**
 * A zod schema's structure as text: its fields, types, checks, bounds and enum values (read from
 * zod's own definitions). The hand-written fast paths in front of a schema (parseClickInput,
 * readPostbackFields) compare it at load time with the shape they were written for, and refuse
 * to load when the schema has changed, rather than accept what zod would refuse.
 */
export function shapeOf(t: z.core.$ZodType): string {
  const def = t._zod.def as unknown as Record<string, unknown> & { type: string; checks?: z.core.$ZodCheck[] };
  const checks = (def.checks ?? []).map((c) => {
    const d = c._zod.def as unknown as Record<string, unknown>;
    return `${d.check}${d.maximum ?? d.minimum ?? (d.pattern ? String(d.pattern) : '')}`;
  });
  const inner = (k: string) => shapeOf(def[k] as z.core.$ZodType);
  const own =
    def.type === 'object'
      ? `{${Object.entries(def.shape as Record<string, z.core.$ZodType>)
          .map(([k, v]) => `${k}:${shapeOf(v)}`)
          .join(',')}}`
      : def.type === 'optional'
        ? `${inner('innerType')}?`
        : def.type === 'pipe'
          ? `${inner('in')}>${inner('out')}`
          : def.type === 'record'
            ? `record(${inner('keyType')},${inner('valueType')})`
            : def.type === 'enum'
              ? `enum(${Object.values(def.entries as object).join('|')})`
              : def.type;
  return checks.length > 0 ? `${own}[${checks.join(',')}]` : own;
}
