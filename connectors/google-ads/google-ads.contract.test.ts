import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DeliveryError, type DeliveryItem, type ItemOutcome, type PlatformRequest } from '../../src/connector-kit';
import { loopbackHttpClient } from '../../test/helpers/loopback-http';
import { guardLoopbackOnly, startGoogleAdsFake, type GoogleAdsFake } from '../../test/fakes/google-ads';
import { sha256Hex } from '../../src/privacy/hash';
import { hashPersonal } from '../../src/privacy/identifiers';
import { clickFixture, contextFixture, conversionFixture, itemFixture } from './fixtures';
import { closeGoogleAdsClients, googleAds } from './index';
import { clearAccessTokens } from '../_shared/google-oauth';

const OAUTH = { clientId: 'cid-123.apps.googleusercontent.com', clientSecret: 'GOCSPX-contract-secret', refreshToken: '1//contract-refresh-token' };
const CREDS = { client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken };
const SECRETS = [OAUTH.clientSecret, OAUTH.refreshToken];

let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: GoogleAdsFake;
const http = loopbackHttpClient();

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startGoogleAdsFake({ oauth: OAUTH });
});
after(async () => {
  await closeGoogleAdsClients();
  await http.close();
  await fake.close();
  guard.restore();
});
beforeEach(() => clearAccessTokens());

const ctxFor = (settings: Record<string, unknown> = {}, extra: { test?: boolean } = {}, endpointPort = fake.port) =>
  contextFixture(
    { endpoint: { host: '127.0.0.1', port: endpointPort, insecure: true }, tokenUrl: fake.tokenUrl, loginCustomerId: '1112223333', ...settings },
    CREDS,
    extra,
  );

let seq = 0;
/** Items with fresh order ids (the fake remembers order ids across calls, like Google). */
function batch(n: number): DeliveryItem[] {
  return Array.from({ length: n }, () => {
    const k = `${++seq}`;
    return itemFixture(conversionFixture({ click: clickFixture({ platformClickIds: { gclid: `gclid-${k}` } }) }), {
      deliveryId: `d${k}`,
      dedupKey: `order-${k}`,
    });
  });
}

async function deliver(items: DeliveryItem[], ctx = ctxFor(), timeoutMs = 5_000) {
  const request = googleAds.build(items, ctx);
  const response = await googleAds.send?.(request, { http, timeoutMs }, ctx);
  assert.ok(response);
  const outcome = googleAds.classify(response, request, items);
  const list: ItemOutcome[] = Array.isArray(outcome) ? outcome : items.map(() => outcome);
  return { request, response, outcome, list, kinds: list.map((o) => (o.ok ? 'ok' : o.error.kind)) };
}

describe('google-ads against the gRPC fake', () => {
  it('uploads what build described, with a fresh OAuth token as metadata, and reads the answer', async () => {
    const before_ = fake.calls.length;
    const items = batch(1);
    const { request, response, kinds } = await deliver(items);
    assert.deepEqual(kinds, ['ok']);
    assert.equal(response.status, 200);
    const call = fake.calls[before_];
    assert.ok(call, 'the fake saw the call');
    assert.deepEqual(call.request, JSON.parse(request.body ?? ''));
    assert.equal(call.metadata.authorization, `Bearer ${fake.token.issued.at(-1)}`);
    assert.equal(call.metadata['login-customer-id'], '1112223333');
    assert.equal(call.metadata['x-goog-request-params'], 'customer_id=1234567890');
    assert.ok(!('developer-token' in call.metadata), 'no developer token configured → none sent (never "undefined")');
    assert.equal(fake.token.requests.at(-1)?.get('refresh_token'), OAUTH.refreshToken);
    const row = fake.accepted.at(-1)?.row;
    assert.equal(row.gclid, items[0]?.conversion.click?.platformClickIds.gclid);
    assert.equal(row.order_id, items[0]?.dedupKey);
    assert.equal(row.conversion_value, 12.5);
    assert.equal(row.currency_code, 'USD');
    assert.match(row.conversion_date_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    assert.deepEqual(JSON.parse(response.body).results, [
      { gclid: row.gclid, conversion_action: row.conversion_action, conversion_date_time: row.conversion_date_time },
    ]);
  });

  it('enhanced conversions for leads: hashed email (Google: gmail dots removed) and E.164 phone in user_identifiers; the fake checks the hash format', async () => {
    const identifiers = { ...hashPersonal('email', ' Jane.Doe@GMail.com ', 'email').hashes, ...hashPersonal('phone', '+1 (555) 444-1234', 'phone').hashes };
    const [item] = batch(1);
    assert.ok(item);
    const items = [{ ...item, conversion: { ...item.conversion, identifiers } }];
    const before_ = fake.calls.length;
    const { request, kinds } = await deliver(items);
    assert.deepEqual(kinds, ['ok']);
    assert.deepEqual(fake.calls[before_]?.request, JSON.parse(request.body ?? ''), 'the library sent exactly what build described');
    assert.deepEqual(fake.accepted.at(-1)?.row.user_identifiers, [
      { hashed_email: sha256Hex('janedoe@gmail.com') },
      { hashed_phone_number: sha256Hex('+15554441234') },
    ]);
    assert.deepEqual(googleAds.identifiersSent?.(request, items[0]?.dedupKey as string), ['click_id', 'email', 'phone']);
    // A hash that is not 64 lower-case hex digits is refused for that row.
    const [bad] = batch(1);
    assert.ok(bad);
    const refused = await deliver([{ ...bad, conversion: { ...bad.conversion, identifiers: { email_google_sha256: 'A'.repeat(64) } } }]);
    assert.deepEqual(refused.kinds, ['payload']);
  });

  it('caches the access token across uploads until it expires', async () => {
    const tokens = fake.token.issued.length;
    await deliver(batch(1));
    await deliver(batch(1));
    assert.equal(fake.token.issued.length, tokens + 1);
  });

  it('a partial failure of row 2 of 3 maps back to that delivery only', async () => {
    fake.next({ rowErrors: [{ index: 1, type: 'conversion_upload_error', code: 'UNPARSEABLE_GCLID', message: 'The imported gclid could not be decoded.' }] });
    const items = batch(3);
    const { kinds, list, response } = await deliver(items);
    assert.deepEqual(kinds, ['ok', 'payload', 'ok']);
    assert.equal(!list[1]?.ok && list[1]?.error.platformCode, 'UNPARSEABLE_GCLID');
    assert.deepEqual(JSON.parse(response.body).partial_failure_error.errors, [
      { index: 1, type: 'conversion_upload_error', error_code: 'UNPARSEABLE_GCLID', message: 'The imported gclid could not be decoded.' },
    ]);
    assert.deepEqual(
      fake.accepted.slice(-2).map((a) => a.row.order_id),
      [items[0]?.dedupKey, items[2]?.dedupKey],
    );
  });

  it('a re-sent order id is "already recorded", which is success', async () => {
    const items = batch(1);
    await deliver(items);
    const again = await deliver(items);
    assert.deepEqual(again.list, [{ ok: true, note: 'already recorded (ORDER_ID_ALREADY_IN_USE)' }]);
  });

  it('test deliveries use validate_only: checked, nothing recorded', async () => {
    const accepted = fake.accepted.length;
    const { list } = await deliver(batch(2), ctxFor({}, { test: true }));
    assert.equal(fake.calls.at(-1)?.request.validate_only, true);
    assert.deepEqual(
      list.map((o) => o.ok && o.note),
      Array(2).fill('validate_only: checked by Google, nothing recorded'),
    );
    assert.equal(fake.accepted.length, accepted);
  });

  it('CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE (googleadsfailure-bin trailer) → config pointing at google-data-manager', async () => {
    fake.next({
      rpcError: {
        status: grpc.status.PERMISSION_DENIED,
        errors: [
          { type: 'not_allowlisted_error', code: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', message: 'The customer is not allowlisted for this feature.' },
        ],
      },
    });
    const { outcome, response } = await deliver(batch(2));
    assert.ok(!Array.isArray(outcome) && !outcome.ok);
    assert.equal(outcome.error.kind, 'config');
    assert.match(outcome.error.message, /google-data-manager/);
    assert.equal(response.status, 403);
    assert.equal(JSON.parse(response.body).request_id, `fake-req-${fake.calls.length}`);
  });

  it('AUTHENTICATION_ERROR → auth, and the refused access token is not reused', async () => {
    await deliver(batch(1));
    const tokens = fake.token.issued.length;
    fake.next({
      rpcError: { status: grpc.status.UNAUTHENTICATED, errors: [{ type: 'authentication_error', code: 'OAUTH_TOKEN_REVOKED', message: 'revoked' }] },
    });
    const { kinds } = await deliver(batch(1));
    assert.deepEqual(kinds, ['auth']);
    await deliver(batch(1));
    assert.equal(fake.token.issued.length, tokens + 1, 'a new token was fetched');
  });

  it('UNAVAILABLE → transient; RESOURCE_EXHAUSTED with a retry delay → rate_limited', async () => {
    fake.next({ rpcError: { status: grpc.status.UNAVAILABLE, message: 'backend unavailable' } });
    assert.deepEqual((await deliver(batch(1))).kinds, ['transient']);
    fake.next({ rpcError: { status: grpc.status.RESOURCE_EXHAUSTED, errors: [{ type: 'quota_error', code: 'RESOURCE_EXHAUSTED', retryDelayS: 30 }] } });
    const { list } = await deliver(batch(1));
    assert.equal(!list[0]?.ok && list[0]?.error.kind, 'rate_limited');
    assert.equal(!list[0]?.ok && list[0]?.error.retryAfterMs, 30_000);
  });

  it('the fake refuses what Google refuses', async () => {
    const ctx = ctxFor();
    const send = async (mutate: (body: any) => void) => {
      const items = batch(1);
      const request = googleAds.build(items, ctx);
      const body = JSON.parse(request.body ?? '');
      mutate(body);
      const req: PlatformRequest = { ...request, body: JSON.stringify(body) };
      const response = await googleAds.send?.(req, { http, timeoutMs: 5_000 }, ctx);
      const out = googleAds.classify(response as NonNullable<typeof response>, req, items);
      const first = (Array.isArray(out) ? out[0] : out) as ItemOutcome;
      return first.ok ? 'ok' : `${first.error.kind} ${first.error.platformCode}`;
    };
    assert.equal(await send((b) => (b.partial_failure = false)), 'config PARTIAL_FAILURE_MODE_REQUIRED');
    assert.equal(await send((b) => (b.conversions[0].gbraid = 'x')), 'payload GBRAID_WBRAID_BOTH_SET');
    assert.equal(await send((b) => (b.conversions[0].conversion_date_time = '2026-01-15 11:59:00')), 'payload INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET');
    assert.equal(await send((b) => (b.conversions = Array(2001).fill(b.conversions[0]))), 'payload TOO_MANY_CONVERSIONS_IN_REQUEST');
  });
});

describe('google-ads failure modes stay bounded and local', () => {
  it('a dead endpoint fails in under 2 s as transient, not after minutes of retries', async () => {
    const dead = await startGoogleAdsFake({ oauth: OAUTH });
    const deadPort = dead.port;
    await dead.close();
    const started = Date.now();
    const { kinds, response } = await deliver(batch(1), ctxFor({}, {}, deadPort));
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(kinds, ['transient']);
    assert.equal(JSON.parse(response.body).grpc_status, 'UNAVAILABLE');
  });

  it('the production configuration (TLS channel) creates its stub without probing the metadata server either', async () => {
    const dead = await startGoogleAdsFake({ oauth: OAUTH });
    const deadPort = dead.port;
    await dead.close();
    const ctx = contextFixture({ endpoint: { host: '127.0.0.1', port: deadPort, insecure: false }, tokenUrl: fake.tokenUrl }, CREDS);
    const { kinds } = await deliver(batch(1), ctx);
    assert.deepEqual(kinds, ['transient']);
    assert.deepEqual(guard.blocked, []);
  });

  it('a hanging endpoint is cut at the connector timeout (DEADLINE_EXCEEDED → transient)', async () => {
    fake.next({ delayMs: 1_500 });
    const started = Date.now();
    const { kinds, response } = await deliver(batch(1), ctxFor(), 300);
    assert.ok(Date.now() - started < 1_400, `took ${Date.now() - started} ms`);
    assert.deepEqual(kinds, ['transient']);
    assert.equal(JSON.parse(response.body).grpc_status, 'DEADLINE_EXCEEDED');
  });

  it('a revoked refresh token → auth before any upload; no secret in the message', async () => {
    fake.token.revoke();
    const calls = fake.calls.length;
    const items = batch(1);
    const ctx = ctxFor();
    await assert.rejects(googleAds.send?.(googleAds.build(items, ctx), { http, timeoutMs: 5_000 }, ctx) ?? Promise.reject(new Error('no send')), (err) => {
      assert.ok(err instanceof DeliveryError);
      assert.equal(err.kind, 'auth');
      assert.equal(err.platformCode, 'invalid_grant');
      for (const s of SECRETS) assert.ok(!err.message.includes(s));
      return true;
    });
    assert.equal(fake.calls.length, calls);
  });

  it('verify refreshes the token; all traffic went to loopback; nothing probed the metadata server', async () => {
    const ctx = contextFixture({ tokenUrl: fake.tokenUrl }, { ...CREDS, refresh_token: 'not-the-right-one' });
    await assert.rejects(
      googleAds.verify?.({ http, timeoutMs: 2_000 }, ctx) ?? Promise.resolve(),
      (err) => err instanceof DeliveryError && err.kind === 'auth',
    );
    assert.ok(fake.calls.length > 0, 'the fake saw the uploads');
    assert.deepEqual(guard.blocked, [], `non-loopback connections were attempted: ${guard.blocked.join(', ')}`);
    assert.ok(guard.seen.length > 0 && guard.seen.every((h) => h === '127.0.0.1'), guard.seen.join(', '));
  });
});
