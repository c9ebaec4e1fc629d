import assert from 'node:assert/strict';
import { assertCleanText } from '../text-guard';
import { test } from 'node:test';
import { buildClick, buildFbc, clickInputSchema, detectPlatform, parseClickInput, type ClickInput } from './capture';

const MS = Date.UTC(2026, 10, 22, 12, 0, 0);

test('buildFbc: builds, keeps and refuses to double-wrap', () => {
  const cases: Array<{ name: string; fbclid?: string; existing?: string; want: string | null }> = [
    { name: 'fbclid alone', fbclid: 'IwAR0abc', want: `fb.1.${MS}.IwAR0abc` },
    { name: 'nothing', want: null },
    { name: 'fbclid already in fb.1. form is not wrapped again', fbclid: 'fb.1.1700000000000.IwAR0abc', want: 'fb.1.1700000000000.IwAR0abc' },
    { name: 'fb.2. subdomain index is also a complete fbc', fbclid: 'fb.2.1700000000000.IwAR0abc', want: 'fb.2.1700000000000.IwAR0abc' },
    { name: 'an existing _fbc value wins when there is no fbclid', existing: 'fb.1.1600000000000.OLD', want: 'fb.1.1600000000000.OLD' },
    { name: 'a malformed existing value is ignored', fbclid: 'IwAR0abc', existing: 'garbage', want: `fb.1.${MS}.IwAR0abc` },
    { name: 'a malformed existing value without fbclid gives nothing', existing: 'fb.1.notms.x', want: null },
    { name: 'an fbclid that merely starts with fb. is wrapped', fbclid: 'fb.abc', want: `fb.1.${MS}.fb.abc` },
    { name: 'existing equal to the fbclid form', fbclid: 'IwAR0abc', existing: `fb.1.${MS - 5}.IwAR0abc`, want: `fb.1.${MS - 5}.IwAR0abc` },
  ];
  for (const c of cases) assert.equal(buildFbc(c.fbclid, c.existing, MS), c.want, c.name);
});

test('buildFbc: a new fbclid replaces an _fbc cookie of an older click', () => {
  assert.equal(buildFbc('IwAR-new', 'fb.1.1600000000000.IwAR-old', MS), `fb.1.${MS}.IwAR-new`);
});

test('detectPlatform: each click parameter and the priority between them', () => {
  const cases: Array<{ input: ClickInput; want: [string, string, string] | null }> = [
    { input: { gclid: 'g' }, want: ['google', 'gclid', 'g'] },
    { input: { gbraid: 'gb' }, want: ['google', 'gbraid', 'gb'] },
    { input: { wbraid: 'wb' }, want: ['google', 'wbraid', 'wb'] },
    { input: { fbclid: 'f' }, want: ['meta', 'fbclid', 'f'] },
    { input: { ttclid: 't' }, want: ['tiktok', 'ttclid', 't'] },
    { input: { rdt_cid: 'r' }, want: ['reddit', 'rdt_cid', 'r'] },
    { input: {}, want: null },
    { input: { sub1: 'x' }, want: null },
    { input: { gclid: '' }, want: null },
    { input: { fbclid: 'f', gclid: 'g' }, want: ['google', 'gclid', 'g'] },
    { input: { wbraid: 'wb', gbraid: 'gb' }, want: ['google', 'gbraid', 'gb'] },
    { input: { rdt_cid: 'r', ttclid: 't' }, want: ['tiktok', 'ttclid', 't'] },
    { input: { rdt_cid: 'r', fbclid: 'f' }, want: ['meta', 'fbclid', 'f'] },
    { input: { gclid: '', fbclid: 'f' }, want: ['meta', 'fbclid', 'f'] },
  ];
  for (const c of cases) {
    const got = detectPlatform(c.input);
    assert.deepEqual(got && [got.platform, got.param, got.id], c.want, JSON.stringify(c.input));
  }
});

test("clickInputSchema refuses repeated and oversized values; control characters are the text guard's, which runs first", () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['repeated', { gclid: ['a', 'b'] }],
    ['too long', { fbclid: 'x'.repeat(513) }],
    ['number', { sub3: 5 }],
  ];
  for (const [name, input] of bad) assert.equal(clickInputSchema.safeParse(input).success, false, name);
  assert.equal(clickInputSchema.safeParse({ sub1: 'ünïcødé 😀', gclid: 'x'.repeat(512) }).success, true);
  // Both click routes run assertCleanText before the schema (src/http/click-routes.ts).
  for (const input of [{ sub1: 'a\u0000b' }, { sub2: 'a\nb' }, { ttclid: 'a\u007fb' }]) {
    assert.throws(
      () => assertCleanText(input),
      (e: { code?: string }) => e.code === 'INVALID_CHARACTERS',
    );
  }
});

test('buildClick: record fields, subs, every platform id, cookies', () => {
  const base = { link: 'demo', ip: '203.0.113.9', userAgent: 'UA', referrer: 'https://r.example/', landingUrl: 'https://gw.example/c/demo?x=1', now: MS };
  const click = buildClick({ ...base, input: { fbclid: 'IwAR', gclid: 'G1', sub1: 's1', sub4: 's4' }, cookies: { fbp: 'fb.1.1.2', fbc: undefined } });
  assert.match(click.id, /^[0-9a-f]{32}$/);
  assert.equal(click.platform, 'google');
  assert.equal(click.platformClickParam, 'gclid');
  assert.equal(click.platformClickId, 'G1');
  assert.deepEqual(click.platformClickIds, { gclid: 'G1', fbclid: 'IwAR' });
  assert.deepEqual(click.subs, { sub1: 's1', sub4: 's4' });
  assert.equal(click.fbp, 'fb.1.1.2');
  assert.equal(click.fbc, `fb.1.${MS}.IwAR`, 'fbc is built even when another platform wins');
  assert.equal(click.createdAt, MS);
  assert.equal(click.ip, '203.0.113.9');

  // An explicit fbp/fbc in the input wins over cookies.
  const explicit = buildClick({ ...base, input: { fbp: 'fb.1.9.9', fbc: 'fb.1.1700000000000.X' }, cookies: { fbp: 'fb.1.1.2', fbc: 'fb.1.1600000000000.Y' } });
  assert.equal(explicit.fbp, 'fb.1.9.9');
  assert.equal(explicit.fbc, 'fb.1.1700000000000.X');
  // Two clicks never share an id.
  assert.notEqual(buildClick({ ...base, input: {}, cookies: {} }).id, buildClick({ ...base, input: {}, cookies: {} }).id);
});

test('parseClickInput gives what clickInputSchema.safeParse gives', () => {
  const cases: Array<Record<string, unknown>> = [
    {},
    { gclid: 'G', sub1: 'x', utm_source: 'not ours' },
    { gclid: undefined, sub2: '' },
    { sub1: 'a'.repeat(512), fbp: 'b'.repeat(256), fbc: 'c'.repeat(600) },
    { sub1: 'a'.repeat(513) },
    { fbp: 'b'.repeat(257) },
    { fbclid: ['a', 'b'] },
    { ttclid: 3 },
    { constructor: 'x', toString: 'y' },
  ];
  for (const c of cases) {
    const fast = parseClickInput(c);
    const zod = clickInputSchema.safeParse(c);
    assert.equal(fast.success, zod.success, JSON.stringify(c));
    assert.deepEqual(fast.data, zod.data, JSON.stringify(c));
    assert.deepEqual(fast.error?.issues, zod.error?.issues, JSON.stringify(c));
  }
});
