import { z } from 'zod';
import {
  DeliveryError,
  errorForResponse,
  type DeliveryItem,
  type ItemOutcome,
  type Outcome,
  type PlatformRequest,
  type PlatformResponse,
} from '../../src/connector-kit';
import { parseJsonObject } from '../_shared/json';
import { CODE_RULES, type CodeRules, decisive, errorForEntry, errorForGrpc, type GoogleAdsErrorEntry } from './errors';

/**
 * Reads the JSON `send` produced (client.ts) — or anything else, without throwing. Body first,
 * then the gRPC status, then the HTTP-equivalent status.
 * Success rule (ours, from the pinned conversion_upload_error.proto): no partial_failure_error, or only "already recorded" errors.
 */

const entrySchema = z.object({
  index: z.number().int().nonnegative().optional(),
  type: z.string().default('unknown'),
  error_code: z.string(),
  message: z.string().default(''),
  retry_delay_ms: z.number().nonnegative().optional(),
});
const okBodySchema = z.object({
  partial_failure_error: z.object({ code: z.number().optional(), message: z.string().optional(), errors: z.array(entrySchema).default([]) }).nullish(),
});
const rpcErrorSchema = z.object({
  grpc_code: z.number().int(),
  message: z.string().default(''),
  errors: z.array(entrySchema).default([]),
});

export function classifyUpload(response: PlatformResponse, request: PlatformRequest, items: readonly DeliveryItem[]): Outcome {
  return classifyGoogleAds(response, request, items, CODE_RULES);
}

/** The same reading for any method of this API with partial failure per row; `codes`: that method's error table. */
export function classifyGoogleAds(response: PlatformResponse, request: PlatformRequest, items: readonly DeliveryItem[], codes: CodeRules): Outcome {
  const json = parseJsonObject(response.body);
  if (response.status === 200) {
    const parsed = okBodySchema.safeParse(json);
    // Re-sending is safe (order_id makes a repeat "already in use"), so an unreadable answer retries.
    if (!parsed.success) return fail('transient', 'Google Ads answered with an unreadable body');
    const pfe = parsed.data.partial_failure_error;
    const okNote = validateOnly(request) ? 'validate_only: checked by Google, nothing recorded' : undefined;
    if (!pfe || (!pfe.code && pfe.errors.length === 0)) return { ok: true, ...(okNote ? { note: okNote } : {}) };
    if (pfe.errors.length === 0) return fail('transient', `Google Ads reported a partial failure without details: ${pfe.message ?? ''}`.trim());
    return perRow(pfe.errors, items.length, { ok: true, ...(okNote ? { note: okNote } : {}) }, 200, codes);
  }

  const rpc = rpcErrorSchema.safeParse(json);
  if (rpc.success && rpc.data.errors.length > 0) {
    const entries = rpc.data.errors;
    // The whole request was refused. When every error names a row, those rows failed and the
    // others were simply not processed: retry them (as a new batch without the bad rows).
    if (entries.every((e) => e.index !== undefined)) {
      const notProcessed: ItemOutcome = {
        ok: false,
        error: new DeliveryError('transient', 'not processed: Google refused the request because of another conversion in it', { status: response.status }),
      };
      return perRow(entries, items.length, notProcessed, response.status, codes);
    }
    return outcomeFor(entries, response.status, codes);
  }
  if (rpc.success) return { ok: false, error: errorForGrpc(rpc.data.grpc_code, rpc.data.message, response.status) };
  return { ok: false, error: errorForResponse(response, 'Google Ads') ?? new DeliveryError('transient', `Google Ads answered HTTP ${response.status}`) };
}

/** Errors with a row index go to that row; errors without one concern every row. */
function perRow(entries: readonly GoogleAdsErrorEntry[], count: number, clean: ItemOutcome, status: number, codes: CodeRules): ItemOutcome[] {
  const everyRow = entries.filter((e) => e.index === undefined);
  return Array.from({ length: count }, (_, i) => {
    const mine = [...entries.filter((e) => e.index === i), ...everyRow];
    return mine.length === 0 ? clean : outcomeFor(mine, status, codes);
  });
}

function outcomeFor(entries: readonly GoogleAdsErrorEntry[], status: number, codes: CodeRules): ItemOutcome {
  const entry = decisive(entries, codes) as GoogleAdsErrorEntry;
  const error = errorForEntry(entry, status, codes);
  return error ? { ok: false, error } : { ok: true, note: `already recorded (${entry.error_code})` };
}

function fail(kind: 'transient', message: string): ItemOutcome {
  return { ok: false, error: new DeliveryError(kind, message, { status: 200 }) };
}

function validateOnly(request: PlatformRequest): boolean {
  return parseJsonObject(request.body ?? '')?.validate_only === true;
}
