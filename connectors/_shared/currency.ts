import { DeliveryError, type ConversionRecord } from '../../src/connector-kit';

/**
 * Currency helpers. Every platform takes an ISO 4217 code; Meta's SDK throws on an unknown one
 * inside execute() (its normalizeCurrency, src/objects/serverside/utils.js), so connectors check it in `validate` and fail only that
 * event. The list is the runtime's own (Intl, ICU data shipped with Node), not a copy to maintain.
 */
const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

/** Upper-cased code when it is a current ISO 4217 currency, else null. */
export function normalizeCurrency(code: string | null | undefined): string | null {
  if (typeof code !== 'string') return null;
  const c = code.trim().toUpperCase();
  return ISO_4217.has(c) ? c : null;
}

export function isCurrency(code: string | null | undefined): boolean {
  return normalizeCurrency(code) !== null;
}

/** Digits after the decimal point in everyday amounts: USD 2, JPY 0, KWD 3. */
export function currencyDigits(code: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
}

// Plain decimal only: no exponent, no thousands separators, no "0x", no "Infinity".
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * A payout as received ("12.50", stored as text so nothing is lost) → a number in currency units
 * (dollars, not cents), for platforms whose field is a JSON number (TikTok `value`, Reddit
 * `value`/`value_decimal`, Meta `value`). Null for anything that is not a plain finite decimal.
 */
export function decimalToNumber(value: string | null | undefined): number | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (!DECIMAL.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * The value checks of platforms that take the payout as a JSON number beside its currency and
 * accept no negative value (TikTok, Reddit). Run in `validate`, so one bad conversion fails alone
 * instead of sinking its batch. `negativeNote` ends the negative-payout message.
 */
export function payoutError(c: Pick<ConversionRecord, 'currency' | 'payout'>, negativeNote = ''): DeliveryError | null {
  if (!normalizeCurrency(c.currency)) return new DeliveryError('payload', `currency "${c.currency}" is not an ISO 4217 code`);
  if (c.payout === null) return null;
  const value = decimalToNumber(c.payout);
  if (value === null) return new DeliveryError('payload', `payout "${c.payout}" is not a decimal number`);
  return value < 0 ? new DeliveryError('payload', `payout ${c.payout} is negative${negativeNote}`) : null;
}
