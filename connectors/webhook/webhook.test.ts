import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type PlatformResponse } from '../../src/connector-kit';
import { createRegistry } from '../../src/connector-kit/registry';
import { connectors } from '../index';
import { FIXTURE_NOW, WEBHOOK_SECRET, webhookContext, webhookItem } from './fixtures';
import { buildSignedWebhook, decodeWebhookSecret, generateWebhookSecret, signWebhook, verifyWebhookSignature, webhook, webhookEnvelope } from './index';
import { webhookCredentialsSchema, webhookSettingsSchema } from './schema';

const NOW_S = FIXTURE_NOW / 1000;

describe('webhook signing (Standard Webhooks)', () => {
  it('matches the reference libraries’ test vector', () => {
    // standard-webhooks/libraries/javascript/src/webhook.test.ts "sign function works"
    assert.equal(
      signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
    assert.equal(
      signWebhook('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      'the whsec_ prefix is optional',
    );
  });

  const secrets: Array<[string, boolean]> = [
    [WEBHOOK_SECRET, true],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', true], // 24 bytes: the minimum
    [`whsec_${Buffer.alloc(64, 7).toString('base64')}`, true],
    [`whsec_${Buffer.alloc(65, 7).toString('base64')}`, false],
    [`whsec_${Buffer.alloc(23, 7).toString('base64')}`, false],
    ['whsec_not base64!!', false],
    ['whsec_abc', false],
    ['', false],
  ];
  for (const [secret, valid] of secrets) {
    it(`secret ${secret.slice(0, 16)}…(${secret.length}) valid=${valid}`, () => {
      assert.equal(decodeWebhookSecret(secret) !== null, valid);
      assert.equal(webhookCredentialsSchema.safeParse({ secret }).success, valid);
    });
  }

  it('generates valid secrets', () => {
    const s = generateWebhookSecret();
    assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.ok(decodeWebhookSecret(s));
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"id":"abc","type":"conversion.received"}';
  const headers = { 'webhook-id': 'abc', 'webhook-timestamp': String(NOW_S), 'webhook-signature': signWebhook(WEBHOOK_SECRET, 'abc', NOW_S, body) };
  const other = generateWebhookSecret();
  const cases: Array<{
    name: string;
    secret?: string;
    headers?: Record<string, string | string[] | undefined>;
    body?: string;
    now?: number;
    want: true | string;
  }> = [
    { name: 'valid', want: true },
    { name: 'header names are case-insensitive', headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v])), want: true },
    { name: 'one of several signatures matches', headers: { ...headers, 'webhook-signature': `v1,AAAA v2,BBBB ${headers['webhook-signature']}` }, want: true },
    { name: 'within tolerance (4 min late)', now: FIXTURE_NOW + 240_000, want: true },
    { name: 'wrong secret', secret: other, want: 'no matching v1 signature' },
    { name: 'tampered body', body: body.replace('abc', 'abd'), want: 'no matching v1 signature' },
    { name: 're-serialised body (spaces) fails', body: JSON.stringify(JSON.parse(body), null, 1), want: 'no matching v1 signature' },
    { name: 'id swapped', headers: { ...headers, 'webhook-id': 'abd' }, want: 'no matching v1 signature' },
    { name: 'too old', now: FIXTURE_NOW + 301_000, want: 'timestamp too old' },
    { name: 'too new', now: FIXTURE_NOW - 301_000, want: 'timestamp too new' },
    { name: 'missing signature', headers: { ...headers, 'webhook-signature': undefined }, want: 'missing webhook-id, webhook-timestamp or webhook-signature' },
    { name: 'non-numeric timestamp', headers: { ...headers, 'webhook-timestamp': '1e9' }, want: 'webhook-timestamp is not unix seconds' },
    { name: 'v1 without value', headers: { ...headers, 'webhook-signature': 'v1,' }, want: 'no matching v1 signature' },
    { name: 'malformed secret', secret: 'whsec_x', want: 'secret is not whsec_<base64 of 24–64 bytes>' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = verifyWebhookSignature(c.secret ?? WEBHOOK_SECRET, c.headers ?? headers, c.body ?? body, c.now ?? FIXTURE_NOW);
      if (c.want === true) return assert.deepEqual(r, { ok: true, id: 'abc', timestamp: NOW_S });
      assert.deepEqual(r, { ok: false, reason: c.want });
    });
  }
});

describe('webhook build', () => {
  it('sends a signed conversion.received envelope whose id is the dedup key', () => {
    const item = webhookItem();
    const r = webhook.build([item], webhookContext({ headers: { 'X-Source': 'closeloop' } }));
    assert.equal(r.method, 'POST');
    assert.equal(r.url, 'https://hooks.example.com/closeloop');
    assert.deepEqual(Object.keys(r.headers), ['x-source', 'content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);
    assert.equal(r.headers['webhook-id'], item.dedupKey);
    assert.equal(r.headers['webhook-timestamp'], String(NOW_S));
    assert.deepEqual(verifyWebhookSignature(WEBHOOK_SECRET, r.headers, r.body as string, FIXTURE_NOW), { ok: true, id: item.dedupKey, timestamp: NOW_S });
    assert.deepEqual(JSON.parse(r.body as string), {
      id: item.dedupKey,
      type: 'conversion.received',
      version: 1,
      timestamp: '2026-01-15T11:59:00.000Z',
      data: {
        conversion: {
          id: 'conv_01',
          source: 'everflow',
          transaction_id: 'tx-9f8e',
          event: 'conversion',
          status: 'approved',
          payout: '12.50',
          currency: 'USD',
          offer_id: '42',
          click_id: '0123456789abcdef0123456789abcdef',
          matched: true,
          params: { sub3: 'from-postback' },
          received_at: '2026-01-15T11:59:00.000Z',
        },
        click: {
          id: '0123456789abcdef0123456789abcdef',
          link: 'summer-sale',
          platform: 'google',
          platform_click_param: 'gclid',
          platform_click_id: 'Cj0KCQ-gclid',
          platform_click_ids: { gclid: 'Cj0KCQ-gclid', fbclid: 'IwAR-fbclid' },
          referrer: 'https://news.example/',
          landing_url: 'https://shop.example/landing?gclid=Cj0KCQ-gclid',
          subs: { sub1: 'campaign-7', sub2: 'adset-3' },
          fbc: 'fb.1.1700000000000.IwAR-fbclid',
          fbp: 'fb.1.1700000000000.123',
          created_at: '2026-01-15T11:00:00.000Z',
        },
      },
    });
  });

  it('leaves ip and user agent out unless includeClientData is set', () => {
    const without = JSON.parse(webhook.build([webhookItem()], webhookContext()).body as string);
    const withData = JSON.parse(webhook.build([webhookItem()], webhookContext({ includeClientData: true })).body as string);
    assert.ok(!('ip' in without.data.click) && !('user_agent' in without.data.click));
    assert.equal(withData.data.click.ip, '203.0.113.7');
    assert.equal(withData.data.click.user_agent, 'Mozilla/5.0 (X11; Linux x86_64)');
  });

  it('a retry has the same id and body, and a fresh timestamp and signature', () => {
    const a = webhook.build([webhookItem()], webhookContext());
    const b = webhook.build([webhookItem({ attempt: 2 })], webhookContext({}, FIXTURE_NOW + 60_000));
    assert.equal(a.body, b.body);
    assert.equal(a.headers['webhook-id'], b.headers['webhook-id']);
    assert.notEqual(a.headers['webhook-signature'], b.headers['webhook-signature']);
    assert.equal(b.headers['webhook-timestamp'], String(NOW_S + 60));
  });

  it('an unmatched conversion has click: null', () => {
    const item = webhookItem({ conversion: { ...webhookItem().conversion, click: null, matched: false } });
    assert.equal(JSON.parse(webhook.build([item], webhookContext()).body as string).data.click, null);
  });

  it('refuses anything but one item', () => {
    assert.throws(
      () => webhook.build([], webhookContext()),
      (e) => e instanceof DeliveryError && e.kind === 'payload',
    );
    assert.throws(
      () => webhook.build([webhookItem(), webhookItem()], webhookContext()),
      (e) => e instanceof DeliveryError && e.kind === 'payload',
    );
  });

  it('the signer is reusable for other event types', () => {
    const envelope = webhookEnvelope('event.registered', 'evt_1', FIXTURE_NOW, { partner: 'p1' });
    const r = buildSignedWebhook({ url: 'https://x.example/h', secret: WEBHOOK_SECRET, envelope, now: FIXTURE_NOW });
    assert.equal(JSON.parse(r.body as string).type, 'event.registered');
    assert.equal(verifyWebhookSignature(WEBHOOK_SECRET, r.headers, r.body as string, FIXTURE_NOW).ok, true);
    assert.throws(
      () => buildSignedWebhook({ ...{ url: 'https://x', secret: WEBHOOK_SECRET, now: FIXTURE_NOW }, envelope: { ...envelope, id: 'a.b' } }),
      RangeError,
    );
  });
});

describe('webhook classify and settings', () => {
  const req = webhook.build([webhookItem()], webhookContext());
  const res = (status: number): PlatformResponse => ({ status, headers: status === 429 ? { 'retry-after': '5' } : {}, body: 'x', durationMs: 1 });
  const cases: Array<[number, string | null]> = [
    [200, null],
    [202, null],
    [204, null],
    [400, 'payload'],
    [401, 'auth'],
    [410, 'config'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [503, 'transient'],
  ];
  for (const [status, kind] of cases) {
    it(`HTTP ${status} → ${kind ?? 'ok'}`, () => {
      const out = webhook.classify(res(status), req, [webhookItem()]);
      assert.ok(!Array.isArray(out));
      if (kind === null) return assert.deepEqual(out, { ok: true });
      assert.ok(!out.ok);
      assert.equal(out.error.kind, kind);
    });
  }
  it('static headers may not replace the signature headers', () => {
    assert.equal(webhookSettingsSchema.safeParse({ url: 'https://x.example', headers: { 'Webhook-Signature': 'forged' } }).success, false);
    assert.equal(webhookSettingsSchema.safeParse({ url: 'https://x.example', headers: { 'Content-Type': 'text/plain' } }).success, false);
    assert.equal(webhookSettingsSchema.safeParse({ url: 'ftp://x.example' }).success, false);
  });
  it('is registered under its folder name', () => {
    assert.equal(createRegistry(connectors).get('webhook'), webhook);
  });
});
