import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonObject } from './json';

describe('parseJsonObject', () => {
  const cases: Array<[string, string, Record<string, unknown> | null]> = [
    ['an object', '{"error":{"code":100}}', { error: { code: 100 } }],
    ['an empty object', '{}', {}],
    ['surrounding white space', ' \n{"a":1}\n', { a: 1 }],
    ['an array', '[{"a":1}]', null],
    ['null', 'null', null],
    ['a number', '42', null],
    ['a string', '"ok"', null],
    ['an HTML outage page', '<html><body>502 Bad Gateway</body></html>', null],
    ['a body cut mid-string', '{"values":[["abc', null],
    ['an empty body', '', null],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => assert.deepEqual(parseJsonObject(text), want));
  }
});
