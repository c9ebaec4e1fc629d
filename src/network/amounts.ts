import { z } from 'zod';
import { formatAmount } from '../connector-kit/template';

/**
 * Money as decimal text with a dot and no exponent (the issue; everflow.md §10.3 leaves the
 * format open). Everflow reads `12,34` as 12.34 on the advertiser postback (everflow.md §7),
 * so a single decimal comma is accepted everywhere and normalised.
 */
const AMOUNT_TEXT = /^\d{1,12}([.,]\d{1,8})?$/;

export function normaliseAmount(value: string | number): string | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value < 1e12 ? formatAmount(value) : null;
  const text = value.trim();
  if (!AMOUNT_TEXT.test(text)) return null;
  return formatAmount(Number(text.replace(',', '.')));
}

/** zod: a non-negative amount given as a number or as text. */
export const amountSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const out = normaliseAmount(v);
  if (out === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a non-negative amount such as 12.50 (a decimal comma is read as a dot)' });
    return z.NEVER;
  }
  return out;
});

/** Rounded to 5 decimals, so a percentage payout never shows float noise (0.1 × 3 → 0.3). */
export function multiplyPercent(amount: string, percent: string): string {
  return formatAmount(Math.round(((Number(amount) * Number(percent)) / 100) * 1e5) / 1e5);
}
