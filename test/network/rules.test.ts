import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStreak } from '../../src/network/health';
import { postbackMatches } from '../../src/network/match';
import type { PartnerPostback } from '../../src/network/model';
import { createPartnerHttpClient } from '../../src/network/partner-http';
import { createTargetPolicy, isBlockedAddress } from '../../src/network/ssrf';
import { startFakeServer } from '../helpers/fake-server';

const H = 3_600_000;
const rule = { failures: 10, windowMs: 72 * H };

describe('nextStreak (seed 001, sliding 72 h window)', () => {
  const run = (times: number[]) => {
    let streak: number[] = [];
    let deactivate = false;
    for (const t of times) ({ streak, deactivate } = nextStreak(streak, 'failure', t, rule));
    return { streak, deactivate };
  };
  it('10 failures within 72 h deactivate', () => assert.equal(run(Array.from({ length: 10 }, (_, i) => i * 8 * H)).deactivate, true));
  it('9 failures do not', () => assert.equal(run(Array.from({ length: 9 }, (_, i) => i * H)).deactivate, false));
  it('10 failures over 72 h + 1 ms do not', () => assert.equal(run(Array.from({ length: 10 }, (_, i) => (i * (72 * H + 1)) / 9)).deactivate, false));
  it('exactly 72 h between the first and the tenth deactivates', () => assert.equal(run(Array.from({ length: 10 }, (_, i) => i * 8 * H)).deactivate, true));
  it('slides: an old failure drops out, a later run of 10 in the window deactivates', () => {
    assert.equal(run([0, ...Array.from({ length: 9 }, (_, i) => 100 * H + i)]).deactivate, false);
    assert.equal(run([0, ...Array.from({ length: 10 }, (_, i) => 100 * H + i)]).deactivate, true);
  });
  it('a success resets', () => {
    const nine = run(Array.from({ length: 9 }, (_, i) => i)).streak;
    const reset = nextStreak(nine, 'success', 10, rule);
    assert.deepEqual(reset.streak, []);
    assert.equal(nextStreak(reset.streak, 'failure', 11, rule).deactivate, false);
  });
});

const pb = (fields: Partial<PartnerPostback>): PartnerPostback => ({
  id: 1, partnerId: 0, offerId: 0, level: 'global', type: 'conversion', deliveryMethod: 'postback', status: 'active', postbackUrl: 'https://x/',
  httpMethod: 'GET', postBody: null, postContentType: 'application/x-www-form-urlencoded', htmlCode: null, description: null, delayMs: 0, eventId: 0,
  deactivatedReason: null, deactivatedAt: null, failureStreak: [], lastFailureAt: null, lastSuccessAt: null, createdAt: 0, updatedAt: 0, ...fields,
});

describe('postbackMatches (everflow.md §1.2)', () => {
  const conv = { kind: 'conversion' as const, offerId: 5, partnerId: 7, eventId: 0 };
  const event = { kind: 'event' as const, offerId: 5, partnerId: 7, eventId: 31 };
  const cases: Array<[string, Partial<PartnerPostback>, typeof conv | typeof event, boolean]> = [
    ['global, same partner', { level: 'global', partnerId: 7 }, conv, true],
    ['global, other partner', { level: 'global', partnerId: 8 }, conv, false],
    ['specific, same pair', { level: 'specific', partnerId: 7, offerId: 5 }, conv, true],
    ['specific, other offer', { level: 'specific', partnerId: 7, offerId: 6 }, conv, false],
    ['global_offer, same offer', { level: 'global_offer', offerId: 5 }, conv, true],
    ['global_offer, other offer', { level: 'global_offer', offerId: 6 }, conv, false],
    ['conversion postback, event', { level: 'global', partnerId: 7 }, event, false],
    ['event postback, every event (0)', { level: 'specific', type: 'event', partnerId: 7, offerId: 5 }, event, true],
    ['event postback, this event', { level: 'global_offer', type: 'event', offerId: 5, eventId: 31 }, event, true],
    ['event postback, other event', { level: 'global_offer', type: 'event', offerId: 5, eventId: 32 }, event, false],
    ['event postback, global level ignores the filter', { level: 'global', type: 'event', partnerId: 7, eventId: 32 }, event, true],
  ];
  for (const [name, fields, ev, want] of cases) it(name, () => assert.equal(postbackMatches(pb(fields), ev), want));
});

describe('isBlockedAddress', () => {
  const blocked = ['127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.5.5', '192.168.0.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '::', '::1',
    'fc00::1', 'fd00:ec2::254', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1', '224.0.0.1', 'not-an-ip'];
  const allowed = ['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1'];
  for (const ip of blocked) it(`${ip} is blocked`, () => assert.equal(isBlockedAddress(ip), true));
  for (const ip of allowed) it(`${ip} is allowed`, () => assert.equal(isBlockedAddress(ip), false));
});

describe('target policy and the partner client', () => {
  const resolver = async (host: string) => ({ 'rebind.example': ['93.184.215.14', '10.0.0.5'], 'ok.example': ['93.184.215.14'] })[host] ?? [];
  it('refuses a host when ANY of its addresses is private', async () => {
    const policy = createTargetPolicy([], resolver);
    assert.equal((await policy.check('https://ok.example/x')).ok, true);
    const v = await policy.check('https://rebind.example/x');
    assert.equal(v.ok, false);
    if (!v.ok) assert.equal(v.why, 'private');
  });
  it('opens hosts and CIDRs listed in allowPrivateTargets', async () => {
    const policy = createTargetPolicy(['rebind.example', '127.0.0.0/8', '::1'], resolver);
    assert.equal((await policy.check('https://rebind.example/x')).ok, true);
    assert.equal((await policy.check('http://127.9.9.9/x')).ok, true);
    assert.equal((await policy.check('http://[::1]/x')).ok, true);
    assert.equal((await policy.check('http://10.0.0.1/x')).ok, false);
  });
  it('the partner client refuses at connect time: IP literals before the request, names through the lookup hook', async () => {
    const fake = await startFakeServer();
    const closed = createPartnerHttpClient(createTargetPolicy([]));
    const open = createPartnerHttpClient(createTargetPolicy(['127.0.0.1']));
    try {
      for (const url of ['http://169.254.169.254/', `http://127.0.0.1:${fake.port}/`, `http://localhost:${fake.port}/`, `http://[::ffff:127.0.0.1]:${fake.port}/`]) {
        await assert.rejects(closed.send({ method: 'GET', url, headers: {} }, { timeoutMs: 1000 }), (err: Error & { platformCode?: string }) => {
          assert.equal(err.platformCode, 'BLOCKED_TARGET', url);
          return true;
        });
      }
      assert.equal(fake.requests.length, 0, 'nothing reached the server');
      const res = await open.send({ method: 'POST', url: `http://localhost:${fake.port}/p?x=1`, headers: { 'Content-Type': 'text/plain' }, body: 'hi' }, { timeoutMs: 1000 });
      assert.equal(res.status, 200);
      assert.equal(fake.requests[0]?.body, 'hi');
      assert.equal(fake.requests[0]?.headers['content-type'], 'text/plain');
    } finally {
      await closed.close();
      await open.close();
      await fake.close();
    }
  });

  it('the partner client times out a partner that never answers', async () => {
    const fake = await startFakeServer(() => ({ hang: true }));
    const client = createPartnerHttpClient(createTargetPolicy(['127.0.0.1']));
    try {
      await assert.rejects(client.send({ method: 'GET', url: fake.url, headers: {} }, { timeoutMs: 200 }), (err: Error & { platformCode?: string }) => {
        assert.equal(err.platformCode, 'TIMEOUT');
        return true;
      });
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
