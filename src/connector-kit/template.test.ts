import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, escapeJson, escapeNone, escapeUrl, formatAmount, macrosIn, renderTemplate, type Escape, type MacroValues } from './template';

describe('renderTemplate', () => {
  const values: MacroValues = { sub5: 'a b&c=d', payout: 12.5, tiny: 1e-7, count: 3, none: null, gone: undefined, empty: '', q: 'say "hi"\n', tag: '<b>' };
  const cases: Array<[string, string, Escape, string]> = [
    ['substitutes and URL-encodes', 'x?c={sub5}', escapeUrl, 'x?c=a%20b%26c%3Dd'],
    ['is case-sensitive: {Sub5} goes out literally', '{Sub5}|{SUB5}|{sub5}', escapeNone, '{Sub5}|{SUB5}|a b&c=d'],
    ['leaves unknown macros literal', '{nope}&{sub_5}', escapeUrl, '{nope}&{sub_5}'],
    ['ignores non-macro braces', '{sub-5} { sub5 } {} {"k":1}', escapeNone, '{sub-5} { sub5 } {} {"k":1}'],
    ['null, undefined and "" become empty', '[{none}][{gone}][{empty}]', escapeUrl, '[][][]'],
    ['formats numbers without exponent', '{payout}/{tiny}/{count}', escapeNone, '12.5/0.0000001/3'],
    ['JSON-escapes', '{"q":"{q}"}', escapeJson, '{"q":"say \\"hi\\"\\n"}'],
    ['HTML-escapes', '<i>{tag}</i>', escapeHtml, '<i>&lt;b&gt;</i>'],
    ['repeats a macro', '{count}{count}', escapeNone, '33'],
    ['does not re-expand substituted values', '{sub5}', escapeNone, 'a b&c=d'],
  ];
  for (const [name, template, escapeValue, want] of cases) {
    it(name, () => assert.equal(renderTemplate(template, values, escapeValue), want));
  }

  it('does not read inherited properties as macros', () => {
    assert.equal(renderTemplate('{toString}{constructor}', {}, escapeNone), '{toString}{constructor}');
  });

  it('does not expand a macro whose value looks like a macro', () => {
    assert.equal(renderTemplate('{a}', { a: '{b}', b: 'x' }, escapeNone), '{b}');
  });
});

describe('formatAmount', () => {
  const cases: Array<[number, string]> = [
    [1e-7, '0.0000001'],
    [12.5, '12.5'],
    [3, '3'],
    [0, '0'],
    [-4.25, '-4.25'],
    [0.1 + 0.2, '0.3'],
    [1234567.891, '1234567.891'], // toFixed(10) alone gives "1234567.8910000001"
    [1.23e-8, '0.0000000123'],
    [150.123456789012, '150.123456789'], // 10 decimals at most
    [1e-11, '0'],
    [1e21, '1000000000000000000000'],
    [Number.NaN, ''],
    [Number.POSITIVE_INFINITY, ''],
  ];
  for (const [n, want] of cases) {
    it(`${n} → "${want}"`, () => assert.equal(formatAmount(n), want));
  }
});

describe('macrosIn', () => {
  const cases: Array<[string, string[]]> = [
    ['https://t/x?c={sub5}&p={payout}&again={sub5}', ['sub5', 'payout', 'sub5']],
    ['{Sub5}{sub_5}{sub-5}', ['Sub5', 'sub_5']],
    ['no macros here', []],
    ['{"json":"{click_id}"}', ['click_id']],
  ];
  for (const [template, want] of cases) {
    it(template, () => assert.deepEqual(macrosIn(template), want));
  }
});
