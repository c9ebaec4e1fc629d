import { z } from 'zod';
import { clickRecordSchema } from '../clicks/click';
import { hashedIdentifiersSchema } from '../privacy/identifiers';
import { consentSchema } from './consent';

export const CONVERSION_STATUSES = ['approved', 'pending', 'rejected'] as const;
export type ConversionStatus = (typeof CONVERSION_STATUSES)[number];

/** The event name of a base conversion (a postback without `event`). */
export const BASE_EVENT = 'conversion';

/**
 * A conversion as stored in the ledger and handed to connectors. The matched click is kept as a
 * snapshot, so a delivery retried after the click's TTL still has its platform click id, ip,
 * user agent and fbc.
 */
export const conversionRecordSchema = z.object({
  id: z.string(),
  source: z.string(),
  transactionId: z.string(),
  event: z.string(),
  status: z.enum(CONVERSION_STATUSES),
  /** Decimal string exactly as received (never a float), or null when the postback had none. */
  payout: z.string().nullable(),
  currency: z.string().length(3),
  offerId: z.string().nullable(),
  /** The click id the postback carried (our click id, or the platform's in direct mode). */
  clickId: z.string().nullable(),
  matched: z.boolean(),
  click: clickRecordSchema.nullable(),
  /** Other parameters of the postback (sub1…, adv1…), without the secret and without personal fields. */
  params: z.record(z.string(), z.string()),
  /**
   * SHA-256 hashes of the personal fields the postback carried, one per normalisation a platform
   * needs (src/privacy/identifiers.ts); the raw values are never stored. Absent on old rows.
   */
  identifiers: hashedIdentifiersSchema.optional(),
  /**
   * The consent signals the postback carried, each one falling back to the click's
   * (src/conversions/consent.ts). A signal absent here is decided by each destination's default.
   * Absent on old rows.
   */
  consent: consentSchema.optional(),
  /** What intake noticed about this conversion, oldest first (a changed payout, a late reject…). */
  warnings: z.array(z.string()).optional(),
  receivedAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type ConversionRecord = z.infer<typeof conversionRecordSchema>;
