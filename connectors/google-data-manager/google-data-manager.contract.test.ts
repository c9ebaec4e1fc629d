import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DeliveryError, type DeliveryItem, type ItemOutcome, type PlatformRequest } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { guardLoopbackOnly } from '../../test/fakes/google-ads';
import { ADWORDS_SCOPE, startDataManagerFake, type DataManagerFake } from '../../test/fakes/google-data-manager';
import { clearAccessTokens } from '../_shared/google-oauth';
import { sha256Hex } from '../../src/privacy/hash';
import { hashPersonal } from '../../src/privacy/identifiers';
import { clickFixture, contextFixture, conversionFixture, itemFixture } from './fixtures';
import { googleDataManager as dm } from './index';

const OAUTH = { clientId: 'dm-client.apps.googleusercontent.com', clientSecret: 'GOCSPX-dm-contract-secret', refreshToken: '1//dm-contract-refresh' };
const CREDS = { client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken };

let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: DataManagerFake;
const http = loopbackHttpClient();

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startDataManagerFake(OAUTH);
});
after(async () => {
  await http.close();
  await fake.close();
  guard.restore();
});
beforeEach(() => clearAccessTokens());

const ctxFor = (f: { baseUrl: string; tokenUrl: string } = fake, extra: { test?: boolean } = {}) =>
  contextFixture({ baseUrl: f.baseUrl, tokenUrl: f.tokenUrl, loginAccountId: '1112223333' }, CREDS, extra);

let seq = 0;
function batch(n: number): DeliveryItem[] {
  return Array.from({ length: n }, () => {
    const k = `${++seq}`;
    return itemFixture(conversionFixture({ click: clickFixture({ platformClickIds: { gclid: `gclid-dm-${k}` } }) }), {
      deliveryId: `d${k}`,
      dedupKey: `tx-${k}`,
    });
  });
}

async function deliver(items: DeliveryItem[], ctx = ctxFor(), mutate?: (body: any) => void) {
  let request: PlatformRequest = dm.build(items, ctx);
  if (mutate) {
    const body = JSON.parse(request.body ?? '');
    mutate(body);
    request = { ...request, body: JSON.stringify(body) };
  }
  const response = await dm.send?.(request, { http, timeoutMs: 5_000 }, ctx);
  assert.ok(response);
  const out = dm.classify(response, request, items);
  const list: ItemOutcome[] = Array.isArray(out) ? out : items.map(() => out);
  return { request, response, list, kinds: list.map((o) => (o.ok ? 'ok' : o.error.kind)) };
}

describe('google-data-manager against the fake', () => {
  it('refreshes a token, sends exactly what build described with it, and reads the requestId', async () => {
    const items = batch(2);
    const { request, response, list } = await deliver(items);
    assert.equal(response.status, 200);
    assert.match(list[0]?.ok ? (list[0].note ?? '') : '', /^requestId req-/);
    const ingest = fake.ingests.at(-1);
    assert.deepEqual(ingest?.body, JSON.parse(request.body ?? ''));
    assert.equal(ingest?.authorization, `Bearer ${fake.token.issued.at(-1)}`);
    assert.equal(fake.token.requests.at(-1)?.get('refresh_token'), OAUTH.refreshToken);
    assert.deepEqual(
      ingest?.body.events.map((e: { transactionId: string }) => e.transactionId),
      items.map((i) => i.dedupKey),
    );
    assert.ok(!('authorization' in request.headers), 'the recorded request never holds the token');
  });

  it('reuses the access token until it expires', async () => {
    const tokens = fake.token.issued.length;
    await deliver(batch(1));
    await deliver(batch(1));
    assert.equal(fake.token.issued.length, tokens + 1);
  });

  it('test deliveries are validateOnly', async () => {
    const { list } = await deliver(batch(1), ctxFor(fake, { test: true }));
    assert.equal(fake.ingests.at(-1)?.body.validateOnly, true);
    assert.match(list[0]?.ok ? (list[0].note ?? '') : '', /^validateOnly: checked/);
  });

  it('an invalid event 2 of 3 fails alone; the other two are retried (fast-fail)', async () => {
    const { kinds, list } = await deliver(batch(3), ctxFor(), (b) => (b.events[1].eventTimestamp = '2026-01-15 11:59:00'));
    assert.deepEqual(kinds, ['transient', 'payload', 'transient']);
    assert.equal(!list[1]?.ok && list[1]?.error.platformCode, 'INVALID_FORMAT');
  });

  it('hashed email (gmail dots removed) and E.164 phone go in userData.userIdentifiers with encoding HEX; the fake checks both', async () => {
    const identifiers = { ...hashPersonal('email', ' Jane.Doe@GMail.com ', 'email').hashes, ...hashPersonal('phone', '+1 (555) 444-1234', 'phone').hashes };
    const [item] = batch(1);
    assert.ok(item);
    const items = [{ ...item, conversion: { ...item.conversion, identifiers } }];
    const { kinds, request } = await deliver(items);
    assert.deepEqual(kinds, ['ok']);
    assert.deepEqual(dm.identifiersSent?.(request, items[0]?.dedupKey as string), ['click_id', 'email', 'phone']);
    const ingest = fake.ingests.at(-1);
    assert.equal(ingest?.body.encoding, 'HEX');
    assert.deepEqual(ingest?.body.events[0].userData, {
      userIdentifiers: [{ emailAddress: sha256Hex('janedoe@gmail.com') }, { phoneNumber: sha256Hex('+15554441234') }],
    });
    const noEncoding = await deliver(items, ctxFor(), (b) => delete b.encoding);
    assert.deepEqual(noEncoding.kinds, ['payload']);
    const upper = await deliver(items, ctxFor(), (b) => (b.events[0].userData.userIdentifiers[0].emailAddress = 'F'.repeat(64)));
    assert.deepEqual(upper.kinds, ['payload']);
    // Without identifiers, no userData and no encoding.
    const plain = JSON.parse(dm.build(batch(1), ctxFor()).body ?? '');
    assert.equal(plain.encoding, undefined);
    assert.equal(plain.events[0].userData, undefined);
  });

  it('the fake refuses what Google refuses: 2001 events, two ad identifiers, a bad account', async () => {
    const one = async (mutate: (b: any) => void) => (await deliver(batch(1), ctxFor(), mutate)).list[0] as ItemOutcome;
    const tooMany = await one((b) => (b.events = Array(2001).fill(b.events[0])));
    assert.equal(!tooMany.ok && tooMany.error.platformCode, 'TOO_MANY_EVENTS');
    const twoIds = await one((b) => (b.events[0].adIdentifiers.wbraid = 'W'));
    assert.equal(!twoIds.ok && twoIds.error.kind, 'payload');
    const badAccount = await one((b) => (b.destinations[0].operatingAccount.accountId = '12'));
    assert.equal(!badAccount.ok && badAccount.error.kind, 'config');
  });

  it('401 from the API → auth, and the token is fetched again next time', async () => {
    await deliver(batch(1));
    const tokens = fake.token.issued.length;
    fake.next(fake.googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', 'ACCESS_TOKEN_EXPIRED'));
    assert.deepEqual((await deliver(batch(1))).kinds, ['auth']);
    await deliver(batch(1));
    assert.equal(fake.token.issued.length, tokens + 1);
  });

  it('429 → rate_limited honouring Retry-After; 503 → transient', async () => {
    fake.next({
      ...fake.googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', 'RESOURCE_EXHAUSTED'),
      headers: { 'content-type': 'application/json', 'retry-after': '7' },
    });
    const limited = (await deliver(batch(1))).list[0] as ItemOutcome;
    assert.ok(!limited.ok && limited.error.kind === 'rate_limited' && limited.error.retryAfterMs === 7_000);
    fake.next({ status: 503, body: 'unavailable' });
    assert.deepEqual((await deliver(batch(1))).kinds, ['transient']);
  });
});

describe('google-data-manager credentials and outages', () => {
  it('a refresh token without the datamanager scope → auth with the fix in the message', async () => {
    const adwordsOnly = await startDataManagerFake({ ...OAUTH, scope: ADWORDS_SCOPE });
    try {
      const { list, response } = await deliver(batch(1), ctxFor(adwordsOnly));
      assert.equal(response.status, 403);
      const o = list[0] as ItemOutcome;
      assert.ok(!o.ok && o.error.kind === 'auth' && o.error.platformCode === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
      assert.match(o.error.message, /datamanager scope/);
    } finally {
      await adwordsOnly.close();
    }
  });

  it('a revoked refresh token → auth; a dead endpoint → transient in under 2 s; no secret in messages', async () => {
    const other = await startDataManagerFake(OAUTH);
    other.token.revoke();
    const ctx = ctxFor(other);
    const items = batch(1);
    await assert.rejects(dm.send?.(dm.build(items, ctx), { http, timeoutMs: 5_000 }, ctx) ?? Promise.resolve(), (err) => {
      assert.ok(err instanceof DeliveryError && err.kind === 'auth' && err.platformCode === 'invalid_grant');
      assert.ok(!err.message.includes(OAUTH.clientSecret) && !err.message.includes(OAUTH.refreshToken));
      return true;
    });
    await other.close();
    const started = Date.now();
    await assert.rejects(
      dm.send?.(dm.build(items, ctx), { http, timeoutMs: 5_000 }, ctx) ?? Promise.resolve(),
      (err) => err instanceof DeliveryError && err.kind === 'transient',
    );
    assert.ok(Date.now() - started < 2_000);
    await assert.rejects(dm.verify?.({ http, timeoutMs: 2_000 }, ctx) ?? Promise.resolve(), (err) => err instanceof DeliveryError && err.kind === 'transient');
  });

  it('every connection went to loopback', () => {
    assert.ok(fake.ingests.length > 0);
    assert.deepEqual(guard.blocked, []);
    assert.ok(
      guard.seen.every((h) => h === '127.0.0.1'),
      guard.seen.join(', '),
    );
  });
});
