import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuery } from './hot-path';

/** Koa's ctx.query as URLSearchParams reads it (koa/lib/search-params.js): what parseQuery must give. */
function reference(querystring: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (querystring === '') return out;
  const search = new URLSearchParams(querystring);
  for (const key of search.keys()) {
    const values = search.getAll(key);
    out[key] = values.length <= 1 ? values[0] : values;
  }
  return out;
}

function same(querystring: string): void {
  const got = parseQuery(querystring);
  const want = reference(querystring);
  assert.deepEqual(got, want, querystring);
  assert.deepEqual(Object.keys(got), Object.keys(want), `${querystring}: key order`);
  assert.deepEqual(Object.getPrototypeOf(got), Object.getPrototypeOf(want), `${querystring}: prototype`);
}

test('parseQuery reads a query string as URLSearchParams does (fast path and fallback)', () => {
  const cases = [
    'gclid=Cj0KCQ-bench&sub1=campaign-7&sub2=adset-3',
    'a=1&b=2&a=3&a=4',
    '&&a=1&&',
    '=x',
    'a',
    'a=&b',
    'a=b=c',
    'a+b=c+d',
    '?a=1',
    'a?b=1',
    'a=%20&b=%zz',
    'é=1',
    '__proto__=1',
    '__proto__=1&__proto__=2',
    'constructor=1&toString=2&hasOwnProperty=3&hasOwnProperty=4',
    '1=a&b=2&0=c',
    '&',
    '=',
  ];
  for (const c of cases) same(c);
  // Random strings over the characters that matter.
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = 'ab=&+?_%2xé';
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    for (let j = rand(12); j > 0; j--) s += alphabet[rand(alphabet.length)];
    same(s);
  }
});
