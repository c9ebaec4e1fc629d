import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { SOURCE_SECRET, startTestGateway, type TestGateway } from './helpers/gateway';

/** POST /v1/doctor through the real app, and its live check against servers on 127.0.0.1. */
let fake: FakeServer;
let g: TestGateway;
let strict: TestGateway;
let tls: { port: number; close(): void };
let dual: { port: number; close(): void };

/** A self-signed certificate, made for this run (the live check must call it untrusted). */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function listen(server: Server | ReturnType<typeof createHttpsServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  fake = await startFakeServer((req) => {
    if (req.path === '/bad') return { status: 400, body: '{"error":"missing parameter: click_id"}' };
    if (req.path === '/moved') return { status: 301, headers: { location: 'https://tracker.example.com/pb?x=1' }, body: '' };
    if (req.path === '/post-only') return { status: 405, body: 'use POST' };
    return { status: 200, body: 'ok' };
  });
  const { key, cert } = selfSigned();
  const https = createHttpsServer({ key, cert }, (_req, res) => res.end('ok'));
  tls = { port: await listen(https), close: () => https.close() };
  // One port speaking both http and https (first byte 0x16 = a TLS handshake), like a host serving both.
  // Each connection is piped to the http or the https server behind it.
  const plain = createHttpServer((_req, res) => res.end('ok'));
  const plainPort = await listen(plain);
  const mux = createNetServer((socket) => {
    socket.once('data', (buf) => {
      const upstream = connect(buf[0] === 0x16 ? tls.port : plainPort, '127.0.0.1', () => {
        upstream.write(buf);
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
  });
  dual = {
    port: await listen(mux),
    close: () => {
      mux.close();
      plain.close();
    },
  };
  g = await startTestGateway({
    configOverrides: {
      server: { port: 0, host: '127.0.0.1', publicUrl: 'https://gw.example.com' },
      network: { allowPrivateTargets: ['127.0.0.1'] },
      destinations: [{ id: 'tracker', connector: 'http-postback', settings: { url: `${fake.url}/ok?cid={click_id}&tx={tx_id}&p={payout}` } }],
    },
  });
  // No allow-list at all (the harness may open 127.0.0.1 for every test gateway).
  strict = await startTestGateway({ configOverrides: { outbound: { allowPrivateTargets: [] }, network: { allowPrivateTargets: [] } } });
});
after(async () => {
  await g?.close();
  await strict?.close();
  await fake?.close();
  tls?.close();
  dual?.close();
});

const doctor = (gw: TestGateway, body: unknown) => gw.admin('/v1/doctor', { method: 'POST', body: JSON.stringify(body) });
const codes = (body: { findings: Array<{ code: string }> }) => body.findings.map((f) => f.code).sort();

describe('POST /v1/doctor', () => {
  it('flags {Sub5} with the fix and answers ok:false', async () => {
    const r = await doctor(g, { url: 'https://t.example.com/pb?cid={Sub5}&tx={transaction_id}&p={payout}', kind: 'outbound' });
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, false);
    assert.deepEqual(codes(r.body), ['UNKNOWN_MACRO']);
    assert.deepEqual(r.body.findings[0].position, { start: 29, end: 35 });
    assert.equal(r.body.findings[0].fix, 'Replace {Sub5} with {sub5}.');
    assert.equal(r.body.live, undefined);
  });

  it('checks an inbound URL against the configured source and its secret', async () => {
    const ok = await doctor(g, {
      url: `https://gw.example.com/postback?key=${SOURCE_SECRET}&click_id={sub5}&tx_id={transaction_id}&payout={payout}`,
      kind: 'inbound',
    });
    assert.deepEqual(ok.body, { ok: true, findings: [] });
    const wrong = await doctor(g, {
      url: 'https://gw.example.com/postback/net?key=not-the-secret&click_id={sub5}&tx_id={transaction_id}&payout={payout}',
      kind: 'inbound',
    });
    assert.deepEqual(codes(wrong.body), ['KEY_MISMATCH']);
    assert.ok(!JSON.stringify(wrong.body).includes(SOURCE_SECRET), 'the secret is never in an answer');
  });

  it('finds a duplicate of a stored partner postback, not of the one being edited', async () => {
    const partner = await g.admin('/v1/network/partners', { method: 'POST', body: JSON.stringify({ name: 'P' }) });
    const url = 'https://dup.example.com/conv?cid={sub5}&tx={transaction_id}&p={payout}';
    const saved = await g.admin('/v1/network/postbacks', {
      method: 'POST',
      body: JSON.stringify({ level: 'global', partner_id: partner.body.id, postback_url: url }),
    });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const dup = await doctor(g, {
      url: url.replace('p={payout}', 'payout={payout}'),
      kind: 'outbound',
      context: { scope: 'global', partner_id: partner.body.id },
    });
    assert.deepEqual(codes(dup.body), ['DUPLICATE_POSTBACK']);
    assert.match(dup.body.findings[0].message, new RegExp(`#${saved.body.id}`));
    const self = await doctor(g, { url, kind: 'outbound', context: { scope: 'global', partner_id: partner.body.id, postback_id: saved.body.id } });
    assert.deepEqual(self.body.findings, []);
  });

  it("a partner postback with encoded braces is refused on save with the doctor's words", async () => {
    const partner = await g.admin('/v1/network/partners', { method: 'POST', body: JSON.stringify({ name: 'Q' }) });
    const r = await g.admin('/v1/network/postbacks', {
      method: 'POST',
      body: JSON.stringify({ level: 'global', partner_id: partner.body.id, postback_url: 'https://t.example.com/pb?cid=%7Bsub5%7D' }),
    });
    assert.equal(r.status, 400);
    assert.ok(
      r.body.error.details.some((d: { rule: string; message: string }) => d.rule === 'postback_url.encoded_macro' && /Write \{sub5\}/.test(d.message)),
      JSON.stringify(r.body),
    );
  });

  it('refuses a bad request with 400 and naming the field', async () => {
    const r = await doctor(g, { url: 'https://x.example.com', kind: 'sideways' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_REQUEST');
    assert.ok(r.body.error.details.some((d: { field: string }) => d.field === 'kind'));
    const noAuth = await fetch(`${g.url}/v1/doctor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url":"x"}' });
    assert.equal(noAuth.status, 401);
  });
});

describe('POST /v1/doctor live check', () => {
  const q = '?cid={sub5}&tx={transaction_id}&p={payout}';
  it('a 200: LIVE_OK, sent with test values', async () => {
    const before = fake.requests.length;
    const r = await doctor(g, { url: `${fake.url}/ok${q}`, kind: 'outbound', live: true });
    assert.ok(codes(r.body).includes('LIVE_OK'), JSON.stringify(r.body));
    assert.equal(r.body.live.request.status, 200);
    const sent = fake.requests.slice(before).find((x) => x.path === '/ok');
    assert.equal(sent?.query.get('cid'), 'closeloop-doctor-test');
    assert.equal(sent?.query.get('p'), '0.00');
  });

  it('a 400 is explained with its body', async () => {
    const r = await doctor(g, { url: `${fake.url}/bad${q}`, kind: 'outbound', live: true });
    const f = r.body.findings.find((x: { code: string }) => x.code === 'LIVE_CLIENT_ERROR');
    assert.ok(f, JSON.stringify(r.body));
    assert.match(f.message, /answered 400.*missing parameter: click_id/);
    assert.equal(r.body.ok, false);
  });

  it('a 405 says to use POST', async () => {
    const r = await doctor(g, { url: `${fake.url}/post-only${q}`, kind: 'outbound', live: true });
    assert.match(r.body.findings.find((x: { code: string }) => x.code === 'LIVE_CLIENT_ERROR')?.fix ?? '', /POST/);
  });

  it('an http:// URL redirected to https: the Location, and use https', async () => {
    const r = await doctor(g, { url: `${fake.url}/moved${q}`, kind: 'outbound', live: true });
    assert.deepEqual(
      codes(r.body).filter((c: string) => c !== 'PLAIN_HTTP'),
      ['HTTP_BUT_HTTPS', 'LIVE_REDIRECT'],
      JSON.stringify(r.body),
    );
    assert.match(r.body.findings.find((x: { code: string }) => x.code === 'LIVE_REDIRECT').message, /301.*https:\/\/tracker\.example\.com\/pb/);
    assert.equal(r.body.live.request.location, 'https://tracker.example.com/pb?x=1');
    assert.ok(r.body.live.https_probe, 'https was probed too');
  });

  it('an untrusted certificate is a TLS error', async () => {
    const r = await doctor(g, { url: `https://127.0.0.1:${tls.port}/pb${q}`, kind: 'outbound', live: true });
    const f = r.body.findings.find((x: { code: string }) => x.code === 'LIVE_TLS_ERROR');
    assert.ok(f, JSON.stringify(r.body));
    assert.match(f.message, /SELF_SIGNED|certificate/i);
  });

  it('an http:// URL on a host that also speaks TLS: use https', async () => {
    const r = await doctor(g, { url: `http://127.0.0.1:${dual.port}/pb${q}`, kind: 'outbound', live: true });
    assert.ok(codes(r.body).includes('HTTP_BUT_HTTPS'), JSON.stringify(r.body));
    assert.ok(codes(r.body).includes('LIVE_OK'));
  });

  it('a plain-http-only host: http is what it expects (info)', async () => {
    const r = await doctor(g, { url: `${fake.url}/ok${q}`, kind: 'outbound', live: true });
    assert.ok(codes(r.body).includes('PLAIN_HTTP'), JSON.stringify(r.body));
    assert.equal(r.body.ok, true);
  });

  it('without allowPrivateTargets a loopback target is refused and nothing is sent', async () => {
    const before = fake.requests.length;
    const r = await doctor(strict, { url: `${fake.url}/ok${q}`, kind: 'outbound', live: true });
    assert.ok(codes(r.body).includes('PRIVATE_HOST'), JSON.stringify(r.body));
    assert.equal(r.body.ok, false);
    assert.equal(fake.requests.length, before);
  });

  it('inbound URLs are not fired by the live check', async () => {
    const r = await doctor(g, {
      url: `https://gw.example.com/postback?key=${SOURCE_SECRET}&click_id={sub5}&tx_id={transaction_id}&payout={payout}`,
      kind: 'inbound',
      live: true,
    });
    assert.deepEqual(codes(r.body), ['LIVE_SKIPPED']);
  });
});
