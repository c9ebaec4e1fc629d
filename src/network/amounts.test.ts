import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { multiplyPercent, normaliseAmount } from './amounts';

describe('network amounts keep their decimal precision (issue 7 item 17)', () => {
  it('text is never rounded through a float', () => {
    assert.equal(normaliseAmount('123456789012.12345678'), '123456789012.12345678');
    assert.equal(normaliseAmount('999999999999.99999999'), '999999999999.99999999');
    assert.equal(normaliseAmount('0.00000001'), '0.00000001');
  });
  it('the canonical form: decimal comma read as a dot, leading and trailing zeros dropped', () => {
    assert.equal(normaliseAmount('19,99'), '19.99');
    assert.equal(normaliseAmount(' 0012.50 '), '12.5');
    assert.equal(normaliseAmount('0'), '0');
    assert.equal(normaliseAmount('5.000'), '5');
    assert.equal(normaliseAmount(12.5), '12.5');
  });
  it('refuses what is not an amount', () => {
    for (const v of ['-1', '1e5', '1.2.3', '', '1234567890123', '1.123456789', 'abc']) assert.equal(normaliseAmount(v), null, v);
    assert.equal(normaliseAmount(Number.NaN), null);
    assert.equal(normaliseAmount(-1), null);
  });
  it('percentages are exact', () => {
    assert.equal(multiplyPercent('0.1', '300'), '0.3');
    assert.equal(multiplyPercent('100', '12.5'), '12.5');
    assert.equal(multiplyPercent('123456789012.12345678', '100'), '123456789012.12346', 'rounded half-up to 5 decimals, not through a float');
    assert.equal(multiplyPercent('999999999999.99', '10'), '99999999999.999');
    assert.equal(multiplyPercent('19.99', '33.333'), '6.66327');
    assert.equal(multiplyPercent('0.00001', '50'), '0.00001', 'half-up');
    assert.equal(multiplyPercent('29.95', '17.25'), '5.16638', 'exactly 5.166375, rounded half-up (a float gives 5.16637)');
    assert.equal(multiplyPercent('0', '50'), '0');
  });
});
