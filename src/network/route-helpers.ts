import type { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import { assertCleanText } from '../text-guard';
import { MULTILINE_FIELDS } from './inputs';

/**
 * zod → 400 whose message names every failing field. Before that, a
 * control character or lone surrogate in any name or value → 422 (src/text-guard.ts).
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, code: string, what: string): z.infer<T> {
  assertCleanText(value, { multiline: MULTILINE_FIELDS });
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = zodDetails(r.error.issues);
  throw new ApiError(400, code, `invalid ${what}: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
}

export function intId(value: unknown, what: string): number {
  const text = String(value ?? '');
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new ApiError(400, 'INVALID_REQUEST', `${what} ids are positive integers`);
  return Number(text);
}

export function hexId(value: unknown, what: string): string {
  const text = String(value ?? '');
  if (!/^[0-9a-f]{32}$/.test(text)) throw new ApiError(400, 'INVALID_REQUEST', `${what} ids are 32 lowercase hex characters`);
  return text;
}

export function notFound<T>(value: T | null, what: string, id: number | string): T {
  if (value === null) throw new ApiError(404, 'NOT_FOUND', `no ${what} ${id}`);
  return value;
}
