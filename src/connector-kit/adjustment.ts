import { z } from 'zod';

/**
 * A correction of a conversion already delivered (issue 11 item 6): the network rejected it after
 * it was sent (`retraction`), or sent it again with another payout (`restatement`). It travels as
 * a delivery of its own (src/delivery/adjustments.ts) and reaches a connector's `adjustments`
 * connector on `DeliveryItem.adjustment`. `at` is fixed when the correction is queued, so every
 * resend carries the same adjustment time (Google answers a repeat "already exists").
 */
export const ADJUSTMENT_TYPES = ['retraction', 'restatement'] as const;
export type AdjustmentType = (typeof ADJUSTMENT_TYPES)[number];

export const adjustmentSchema = z.object({
  type: z.enum(ADJUSTMENT_TYPES),
  /** When the correction was queued (epoch ms): the platform's adjustment time. */
  at: z.number().int(),
  /** restatement: the new payout, decimal text as received. */
  value: z.string().optional(),
  /** restatement: the new payout's currency. */
  currency: z.string().length(3).optional(),
  /** The delivery this corrects (the conversion as first sent). */
  of: z.string(),
});
export type Adjustment = z.infer<typeof adjustmentSchema>;

/** Destination ids can never contain `#` (config), so `<destination>#<type>` never collides with one. */
export function adjustmentDestinationId(destinationId: string, type: AdjustmentType): string {
  return `${destinationId}#${type}`;
}

/** `gads#retraction` → { base: 'gads', type: 'retraction' }; any other id → null. */
export function parseAdjustmentDestinationId(id: string): { base: string; type: AdjustmentType } | null {
  const at = id.lastIndexOf('#');
  if (at <= 0) return null;
  const type = id.slice(at + 1);
  return (ADJUSTMENT_TYPES as readonly string[]).includes(type) ? { base: id.slice(0, at), type: type as AdjustmentType } : null;
}
