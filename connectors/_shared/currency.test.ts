import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currencyDigits, decimalToNumber, isCurrency, normalizeCurrency, payoutError } from './currency';

describe('normalizeCurrency', () => {
  const cases: Array<[unknown, string | null]> = [
    ['USD', 'USD'],
    ['usd', 'USD'],
    [' eur ', 'EUR'],
    ['JPY', 'JPY'],
    ['KWD', 'KWD'],
    ['XXX', null], // "no currency" is a code, not a currency
    ['BTC', null],
    ['US', null],
    ['USDT', null],
    ['', null],
    [null, null],
    [undefined, null],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${want}`, () => {
      assert.equal(normalizeCurrency(input as string), want);
      assert.equal(isCurrency(input as string), want !== null);
    });
  }
});

describe('currencyDigits', () => {
  for (const [code, want] of [
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
  ] as const) {
    it(`${code} → ${want}`, () => assert.equal(currencyDigits(code), want));
  }
});

describe('decimalToNumber', () => {
  const cases: Array<[unknown, number | null]> = [
    ['12.50', 12.5],
    ['0.10', 0.1],
    ['  7 ', 7],
    ['1234567.891', 1234567.891],
    ['.5', 0.5],
    ['5.', 5],
    ['+3', 3],
    ['-2.5', -2.5],
    ['0', 0],
    ['1e3', null],
    ['1,000.00', null],
    ['0x10', null],
    ['Infinity', null],
    ['NaN', null],
    ['12.50 USD', null],
    ['', null],
    [null, null],
    [undefined, null],
  ];
  for (const [input, want] of cases) it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(decimalToNumber(input as string), want));
});

describe('payoutError', () => {
  const cases: Array<[string, string | null, string | null]> = [
    ['USD', '12.50', null],
    ['usd', '0', null],
    ['EUR', null, null],
    ['XYZ', '12.50', 'currency "XYZ" is not an ISO 4217 code'],
    ['XYZ', null, 'currency "XYZ" is not an ISO 4217 code'],
    ['USD', '1e3', 'payout "1e3" is not a decimal number'],
    ['USD', '-1', 'payout -1 is negative; no refunds'],
  ];
  for (const [currency, payout, want] of cases) {
    it(`${currency} ${JSON.stringify(payout)} → ${want ?? 'ok'}`, () => {
      const error = payoutError({ currency, payout }, '; no refunds');
      assert.equal(error?.message ?? null, want);
      if (error) assert.equal(error.kind, 'payload');
    });
  }
});
