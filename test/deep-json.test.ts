import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, SOURCE_SECRET, startTestGateway, type TestGateway } from './helpers/gateway';

/**
 * Found by `npm run fuzz` (bench/fuzz.ts): a JSON body nested a few thousand levels deep is under
 * 32 kB, JSON.parse takes it, and the recursive walks after it (the text guard, the rejection
 * record's JSON.stringify) overflowed the stack: 500 INTERNAL. Such a body is malformed input.
 */

let g: TestGateway;
before(async () => {
  g = await startTestGateway();
});
after(() => g.close());

const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const deepArray = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(g.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

test('a JSON body nested thousands of levels deep answers 400 INVALID_BODY on every body route, not 500', async () => {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  for (const [path, headers] of [
    [`/postback?key=${SOURCE_SECRET}&tx_id=deep-1`, {}],
    [`/postback/net?key=${SOURCE_SECRET}&tx_id=deep-2`, {}],
    ['/v1/clicks', {}],
    ['/v1/network/postbacks/1/test', auth],
    ['/v1/doctor', auth],
  ] as const) {
    for (const body of [deep(5_000), deepArray(10_000)]) {
      const res = await post(path, body, headers);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.code, 'INVALID_BODY');
      assert.match(res.body.error?.message ?? '', /nested deeper than 32 levels/);
    }
  }
});

test('nesting up to the limit is still parsed (the route decides what it accepts)', async () => {
  const res = await post(`/postback?key=${SOURCE_SECRET}&tx_id=shallow-1`, deep(31));
  assert.notEqual(res.status, 500);
  assert.notEqual(res.body.error?.code, 'INVALID_BODY', JSON.stringify(res.body));
  const ok = await post(`/postback?key=${SOURCE_SECRET}`, JSON.stringify({ tx_id: 'shallow-2', payout: '1.00' }));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});
