import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import { CONVERSION_STATUSES } from '../conversions/conversion';
import type { ConversionSearch, PageCursor } from '../store/ledger';

/** Query and body schemas of the admin API's lists (one home: admin-routes and console-routes share them). */

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, 'INVALID_REQUEST', 'invalid request parameters', zodDetails(r.error.issues));
  return r.data;
}

/** `next_cursor` of the previous page: `<epoch ms>.<32-hex id>`. */
export const cursorParam = z
  .string()
  .regex(/^\d{1,16}\.[0-9a-f]{32}$/, 'use the next_cursor value of the previous page')
  .transform((c): PageCursor => {
    const [at, id] = c.split('.') as [string, string];
    return { at: Number(at), id };
  });

export const limitParam = z.coerce.number().int().min(1).max(500).default(100);

/** The cursor after a full page: its last row's time and id; null when the page is not full. */
export function cursorOf<R extends { id: string }>(rows: R[], limit: number, at: (r: R) => number): string | null {
  const last = rows.at(-1);
  return rows.length === limit && last ? `${at(last)}.${last.id}` : null;
}

// ISO 8601 date (UTC midnight) or date-time with an explicit offset: a time without one would be
// read in the server's zone, which the caller cannot see.
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A point in time: epoch milliseconds, or ISO 8601 (`2026-11-22`, `2026-11-22T12:00:00Z`). */
export const instantText = z.string().transform((v, ctx) => {
  if (/^\d{1,16}$/.test(v)) return Number(v);
  const t = ISO.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: 'use epoch milliseconds or ISO 8601 (2026-11-22 or 2026-11-22T12:00:00Z)' });
    return z.NEVER;
  }
  return t;
});

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const text = (max: number) => z.string().min(1).max(max);

export const DELIVERY_OUTCOMES = ['succeeded', 'pending', 'dead', 'paused', 'cancelled', 'skipped'] as const;

/** GET /v1/conversions and /v1/conversions.csv filters. */
export const conversionFilters = z.object({
  tx_id: text(128).optional(),
  click_id: text(512).optional(),
  source: text(64).optional(),
  offer: text(128).optional(),
  status: z.enum(CONVERSION_STATUSES).optional(),
  matched: bool.optional(),
  outcome: z.enum(DELIVERY_OUTCOMES).optional(),
  destination: text(64).optional(),
  has_warnings: bool.optional(),
  from: instantText.optional(),
  to: instantText.optional(),
});
export const conversionListQuery = conversionFilters.extend({ limit: limitParam, cursor: cursorParam.optional() }).strict();
export const conversionCsvQuery = conversionFilters.strict();

/** The filters as the Ledger takes them (no paging). */
export function toSearch(q: z.infer<typeof conversionFilters>): Omit<ConversionSearch, 'limit'> {
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
    throw new ApiError(400, 'INVALID_REQUEST', 'invalid request parameters', [{ field: 'to', message: 'must be after from' }]);
  }
  const out: Omit<ConversionSearch, 'limit'> = {};
  if (q.tx_id !== undefined) out.transactionId = q.tx_id;
  if (q.click_id !== undefined) out.clickId = q.click_id;
  if (q.source !== undefined) out.source = q.source;
  if (q.offer !== undefined) out.offerId = q.offer;
  if (q.status !== undefined) out.status = q.status;
  if (q.matched !== undefined) out.matched = q.matched;
  if (q.outcome !== undefined) out.outcome = q.outcome;
  if (q.destination !== undefined) out.destinationId = q.destination;
  if (q.has_warnings !== undefined) out.hasWarnings = q.has_warnings;
  if (q.from !== undefined) out.from = q.from;
  if (q.to !== undefined) out.to = q.to;
  return out;
}
