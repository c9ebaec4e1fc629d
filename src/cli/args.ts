import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './io';

/** Options every command takes. */
export const COMMON = {
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict; an unknown option or a missing value is a usage error naming it. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message, usage);
  }
}

/** `--since`: epoch ms, an ISO 8601 date, or an age such as 30m, 24h, 7d (before now). */
export function parseSince(value: string, now: number): number | null {
  if (/^\d{10,16}$/.test(value)) return Number(value);
  const age = /^(\d+)\s*(s|m|h|d)$/.exec(value);
  if (age) return now - Number(age[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}
