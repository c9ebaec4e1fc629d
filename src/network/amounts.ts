import { z } from 'zod';
import { formatAmount } from '../connector-kit/template';

/**
 * Money as decimal text with a dot and no exponent (the issue; Everflow documents no number
 * format for macros). Everflow reads `12,34` as 12.34 on the advertiser postback
 * (https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls),
 * so a single decimal comma is accepted everywhere and normalised. Amounts are text end to end:
 * a float would turn 123456789012.12345678 into …012.12346, so text stays text (only leading
 * zeros of the integer and trailing zeros of the fraction are dropped) and percentages are
 * computed on scaled integers (BigInt), never through Number.
 */
const AMOUNT_TEXT = /^(\d{1,12})(?:[.,](\d{1,8}))?$/;

export function normaliseAmount(value: string | number): string | null {
  if (typeof value === 'number') {
    // A JSON number is already a float; its shortest text is what the sender wrote.
    if (!Number.isFinite(value) || value < 0 || value >= 1e12) return null;
    return normaliseAmount(formatAmount(value));
  }
  const m = AMOUNT_TEXT.exec(value.trim());
  if (!m) return null;
  return canonical(m[1] as string, m[2] ?? '');
}

function canonical(int: string, frac: string): string {
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.replace(/0+$/, '');
  return f ? `${i}.${f}` : i;
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

/** `amount` as an integer count of 10^-scale units. */
function scaled(amount: string): { units: bigint; scale: number } {
  const [int = '0', frac = ''] = amount.split('.');
  return { units: BigInt(`${int}${frac}` || '0'), scale: frac.length };
}

/** amount × percent / 100, rounded half-up to 5 decimals, exactly (0.1 × 3 → 0.3, no float noise). */
export function multiplyPercent(amount: string, percent: string): string {
  const a = scaled(amount);
  const p = scaled(percent);
  let units = a.units * p.units;
  let scale = a.scale + p.scale + 2; // the /100
  const DECIMALS = 5;
  if (scale > DECIMALS) {
    const divisor = 10n ** BigInt(scale - DECIMALS);
    const q = units / divisor;
    units = (units % divisor) * 2n >= divisor ? q + 1n : q;
    scale = DECIMALS;
  }
  const digits = units.toString().padStart(scale + 1, '0');
  return canonical(digits.slice(0, digits.length - scale), digits.slice(digits.length - scale));
}
