import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFormComponent, pairName } from './form-decode';

test('form components decode as urlencoded parsing does; a malformed escape stays raw', () => {
  for (const raw of ['plain', 'a+b', 'a%20b+c', '%E2%82%AC', 'bad%zz', '%', 'x%E2%82', '']) {
    let expected: string;
    try {
      expected = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      expected = raw;
    }
    assert.equal(decodeFormComponent(raw), expected, raw);
  }
  assert.equal(pairName('e%6Dail=a@b'), 'email');
  assert.equal(pairName('sub1'), 'sub1');
  assert.equal(pairName('a+b=c=d'), 'a b');
  assert.equal(pairName('=v'), '');
});
