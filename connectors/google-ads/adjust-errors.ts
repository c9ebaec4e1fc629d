import { CODE_RULES, type CodeRules, type Rule } from './errors';

/**
 * ConversionAdjustmentUploadError → our kind, before the upload's table (errors.ts) and the families.
 * https://developers.google.com/google-ads/api/reference/rpc/v25/ConversionAdjustmentUploadErrorEnum.ConversionAdjustmentUploadError
 */
const dup: Rule = { kind: 'duplicate' };
const payload: Rule = { kind: 'payload' };

export const ADJUSTMENT_CODE_RULES: CodeRules = {
  ...CODE_RULES,
  // Already done: a resend of the same correction (same order id, type and adjustment time), or
  // a later one already applied. Success, with a note.
  CONVERSION_ALREADY_RETRACTED: dup,
  RESTATEMENT_ALREADY_EXISTS: dup,
  DUPLICATE_ADJUSTMENT_IN_REQUEST: dup,
  MORE_RECENT_RESTATEMENT_FOUND: dup,
  // This correction only: dead, replayable from the console.
  CONVERSION_NOT_FOUND: payload,
  CONVERSION_EXPIRED: payload,
  ADJUSTMENT_PRECEDES_CONVERSION: payload,
  TOO_MANY_ADJUSTMENTS: payload,
  TOO_MANY_ADJUSTMENTS_IN_REQUEST: payload,
  GCLID_DATE_TIME_PAIR_AND_ORDER_ID_BOTH_SET: payload,
  ORDER_ID_CONTAINS_PII: payload,
  TOO_RECENT_CONVERSION: { kind: 'transient', retryAfterMs: 6 * 3_600_000, hint: 'Google takes adjustments of a conversion once it is processed' },
  // A setting of the conversion action: every restatement would fail the same way.
  CANNOT_RESTATE_CONVERSION_ACTION_THAT_ALWAYS_USES_DEFAULT_CONVERSION_VALUE: {
    kind: 'config',
    hint: 'the conversion action always uses its default value: set "Use different values for each conversion" to restate',
  },
};
