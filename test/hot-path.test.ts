import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Koa from 'koa';
import { openGateway, type Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { dropTestSchema } from './helpers/engine';
import { SOURCE_SECRET, testConfig } from './helpers/gateway';

/**
 * The hot listener (src/http/hot-path.ts) answers GET /postback and GET /c/:link as Koa's stack
 * does: the same requests to the app's callback and to Koa's own callback (Koa.prototype.callback,
 * without the hot listener) give the same status, headers, body, log lines and stored rows.
 */
let dir: string;
let gw: Gateway;
let config: ReturnType<typeof testConfig>;
const logs: Array<Record<string, unknown>> = [];
const servers: Record<'hot' | 'koa', { server: Server; url: string }> = {} as never;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'closeloop-hot-'));
  config = testConfig({ server: { port: 0, host: '127.0.0.1', trustedProxies: ['127.0.0.1'], corsOrigins: [] } }, join(dir, 'test.db'));
  gw = openGateway({ config, logger: createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) }), startWorkers: false });
  await gw.ready;
  for (const [name, listener] of [
    ['hot', gw.app.callback()],
    ['koa', Koa.prototype.callback.call(gw.app)],
  ] as const) {
    const server = createServer(listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers[name] = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
});
after(async () => {
  for (const s of Object.values(servers)) await new Promise((r) => s.server.close(r));
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
  await dropTestSchema(config.storage.engine === 'postgres' ? config.storage.postgres.schema : undefined);
});

/** Ids (32 hex) and per-side markers out, so both sides compare. */
const norm = (s: string) =>
  s
    .replace(/[0-9a-f]{32}/g, '<id>')
    .replace(/-(hot|koa)\b/g, '-<side>')
    .replace(/\b\d{13}\b/g, '<ms>');
const IGNORED = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);

async function call(side: 'hot' | 'koa', path: string, init: RequestInit = {}) {
  const start = logs.length;
  const res = await fetch(servers[side].url + path.replaceAll('{side}', side), { redirect: 'manual', ...init });
  const text = await res.text();
  const headers = [...res.headers].filter(([k]) => !IGNORED.has(k)).map(([k, v]) => `${k}: ${norm(v)}`);
  // The refused-key warning is rate-limited per window (auth-failures.ts): only the first side logs it.
  const lines = logs
    .slice(start)
    .filter((l) => !String(l.msg).startsWith('postback refused'))
    .map((l) => {
      const { time: _t, ms: _ms, reqId, ...rest } = l;
      return norm(JSON.stringify({ ...rest, reqId: typeof reqId === 'string' && reqId.length === 32 ? '<id>' : reqId }));
    });
  return { status: res.status, headers, body: norm(text), lines, requestId: res.headers.get('x-request-id') };
}

async function same(path: string, init: RequestInit = {}) {
  const koa = await call('koa', path, init);
  const hot = await call('hot', path, init);
  assert.deepEqual(hot, { ...koa, requestId: hot.requestId }, path);
  assert.match(hot.requestId ?? '', /^[A-Za-z0-9._:@/+=-]{1,128}$/);
  return hot;
}

const key = `key=${SOURCE_SECRET}`;

test('postbacks: accepted, duplicate, refused, by source, repeated and control-character parameters', async () => {
  const click = await call('koa', '/c/demo?gclid=G-1');
  const sub5 = new URL(click.headers.find((h) => h.startsWith('location: '))?.slice(10) ?? 'x:').searchParams.get('sub5');
  assert.equal(sub5, '<id>');
  const accepted = await same(`/postback?${key}&tx_id=t1-{side}&payout=12.50&currency=eur`);
  assert.equal(accepted.status, 200);
  assert.equal((await same(`/postback?${key}&tx_id=t1-{side}&payout=12.50&currency=eur`)).body.includes('"duplicate":true'), true);
  assert.equal((await same(`/postback?key=wrong&tx_id=t2-{side}`)).status, 401);
  assert.equal((await same(`/postback?${key}`)).status, 400);
  assert.equal((await same(`/postback?${key}&tx_id={tx_id}`)).status, 422);
  assert.equal((await same(`/postback?${key}&tx_id=a&tx_id=b`)).status, 400);
  assert.equal((await same(`/postback?${key}&tx_id=t3-{side}&offer_id=%01`)).status, 422);
  assert.equal((await same(`/postback/net?${key}&tx_id=t4-{side}&click_id=0123456789abcdef0123456789abcdef`)).status, 200);
  assert.equal((await same(`/postback/n%65t?${key}&tx_id=t5-{side}`)).status, 200);
  assert.equal((await same(`/postback/nope?${key}&tx_id=t6-{side}`)).status, 401);
  assert.equal((await same(`/postback/?${key}&tx_id=t7-{side}`)).status, 200);
  assert.equal((await same(`/postback?${key}&tx_id=t8-{side}`, { headers: { 'x-request-id': 'caller-id-1' } })).requestId, 'caller-id-1');
  assert.notEqual((await same(`/postback?${key}&tx_id=t9-{side}`, { headers: { 'x-request-id': 'bad id!' } })).requestId, 'bad id!');
  assert.equal((await same(`/postback?${key}&tx_id=t10-{side}`, { method: 'POST' })).status, 200);
  assert.equal((await same('/postback', { method: 'DELETE' })).status, 405);
});

test('redirects: stored click, headers and cookies read, Koa-encoded and refused answers', async () => {
  const headers = { 'user-agent': 'UA/1', referer: 'https://ref.example/x', cookie: 'a=1; _fbp="fb.1.2.3"; _fbc=fb.1.9.x', 'x-forwarded-for': '203.0.113.9' };
  const ok = await same('/c/demo?gclid=G-{side}&sub1=s%201', { headers });
  assert.equal(ok.status, 302);
  assert.equal((await same('/c/demo?sub1=%C3%A9t%C3%A9')).status, 302);
  assert.equal((await same('/c/nope?gclid=x')).status, 404);
  assert.equal((await same('/c/demo?sub1=%01')).status, 422);
  assert.equal((await same('/c/demo?gclid=a&gclid=b')).status, 400);
  assert.equal((await same('/c/demo', { method: 'HEAD' })).status, 302);
  assert.equal((await same('/c/demo/')).status, 302);
  assert.equal((await same('/C/demo')).status, 302);
});

test('the stored click and conversion are the same whichever path took them', async () => {
  const headers = { 'user-agent': 'UA/2', cookie: '_fbp=fb.1.5.6', 'x-forwarded-for': '198.51.100.7' };
  const rows: unknown[] = [];
  for (const side of ['hot', 'koa'] as const) {
    const res = await fetch(`${servers[side].url}/c/demo?fbclid=F-1&sub2=x`, { redirect: 'manual', headers });
    const id = new URL(res.headers.get('location') as string).searchParams.get('sub5') as string;
    const click = (await gw.clicks.get(id)) as Record<string, unknown>;
    const pb = await fetch(`${servers[side].url}/postback?${key}&tx_id=same-${side}&click_id=${id}&email=a@b.example`);
    const answer = (await pb.json()) as { conversion_id: string };
    const detail = await fetch(`${servers[side].url}/v1/conversions/${answer.conversion_id}`, { headers: { authorization: `Bearer ${config.admin.token}` } });
    const { id: _i, createdAt: _c, ...rest } = click;
    rows.push(
      norm(JSON.stringify({ click: rest, conversion: await detail.json() })).replace(
        /"(receivedAt|updatedAt|createdAt|received_at|updated_at|created_at)":\d+/g,
        '',
      ),
    );
  }
  assert.equal(rows[0], rows[1]);
});
