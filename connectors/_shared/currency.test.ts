import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currencyDigits, decimalToNumber, isCurrency, normalizeCurrency } from './currency';

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
  for (const [code, want] of [['USD', 2], ['EUR', 2], ['JPY', 0], ['KWD', 3]] as const) {
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
