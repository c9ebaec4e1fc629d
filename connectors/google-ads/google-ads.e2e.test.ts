import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { guardLoopbackOnly, startGoogleAdsFake, type GoogleAdsFake } from '../../test/fakes/google-ads';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import { closeGoogleAdsClients } from './index';

/** Click → postback → the whole gateway → google-ads-api → the gRPC fake on 127.0.0.1. */

const OAUTH = { clientId: 'e2e-client.apps.googleusercontent.com', clientSecret: 'GOCSPX-e2e-client-secret', refreshToken: '1//e2e-refresh-token-value' };
const DATE_TIME = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)([+-]\d\d:\d\d)$/;
// The first upload loads google-ads-api (~10 MB of generated code): ~1.2 s of CPU, but 7 s and
// more of wall time on a shared machine under load (one CI run on Node 22 needed over 30 s).
const FIRST_UPLOAD_MS = 90_000;

/** A delivery's attempt records, as GET /v1/conversions/:id lists them. */
const attemptLog = (d: { attempts: any[] }): any[] => d.attempts;

let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: GoogleAdsFake;
let gw: TestGateway;

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startGoogleAdsFake({ oauth: OAUTH });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'gads',
          connector: 'google-ads',
          settings: {
            customerId: '123-456-7890',
            conversionActionId: '777',
            loginCustomerId: '9998887777',
            timeZone: 'Europe/Paris',
            endpoint: { host: '127.0.0.1', port: fake.port, insecure: true },
            tokenUrl: fake.tokenUrl,
          },
          credentials: { client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken },
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await closeGoogleAdsClients();
  await fake.close();
  guard.restore();
});

/** A real click through /c/demo, then the network's postback for it. */
async function convert(gclid: string, tx: string, payout = '12.50') {
  const clickedAt = Date.now();
  const clickId = await gw.click('demo', { gclid });
  const res = await gw.postback({ click_id: clickId, payout, tx_id: tx });
  assert.equal(res.status, 200);
  assert.equal(res.body.matched, true);
  return { conversionId: res.body.conversion_id as string, clickedAt };
}

test('a gclid click and its postback become a valid upload, recorded with the exact request', async () => {
  const { conversionId, clickedAt } = await convert('EAIaIQobChMI-e2e-1', 'tx-gads-1');
  const detail = await waitForDeliveries(gw, conversionId, 'succeeded', FIRST_UPLOAD_MS);
  const delivery = detail.deliveries[0];

  const upload = fake.accepted.find((a) => a.row.gclid === 'EAIaIQobChMI-e2e-1');
  assert.ok(upload, 'the fake recorded the conversion');
  assert.equal(upload.customerId, '1234567890');
  assert.equal(upload.row.conversion_action, 'customers/1234567890/conversionActions/777');
  assert.equal(upload.row.conversion_value, 12.5);
  assert.equal(upload.row.currency_code, 'USD');
  assert.equal(upload.row.order_id, delivery.dedup_key);
  assert.equal(upload.metadata['login-customer-id'], '9998887777');
  const [, date, time, offset] = DATE_TIME.exec(upload.row.conversion_date_time) ?? [];
  assert.ok(date && time && offset, upload.row.conversion_date_time);
  assert.match(offset, /^\+0[12]:00$/, 'Europe/Paris, written with its offset');
  const at = Date.parse(`${date}T${time}${offset}`);
  assert.ok(at >= Math.floor(clickedAt / 1000) * 1000, 'not before the click');

  const attempt = attemptLog(delivery)[0];
  assert.equal(attempt.response_status, 200);
  // The click came from 127.0.0.1 too, and the engine masks the click ip wherever it appears.
  assert.match(
    attempt.request.url,
    /^http:\/\/(127\.0\.0\.1|\[pii\]):\d+\/google\.ads\.googleads\.v25\.services\.ConversionUploadService\/UploadClickConversions$/,
  );
  assert.equal(JSON.parse(attempt.request.body).conversions[0].order_id, delivery.dedup_key);
  const everything = JSON.stringify(detail);
  for (const secret of [OAUTH.clientSecret, OAUTH.refreshToken, ...fake.token.issued]) assert.ok(!everything.includes(secret), 'no secret in the record');
});

test('a retried delivery carries the same order_id', async () => {
  fake.next({ rpcError: { status: grpc.status.UNAVAILABLE, message: 'try again' } });
  const calls = fake.calls.length;
  const { conversionId } = await convert('EAIaIQobChMI-e2e-retry', 'tx-gads-retry');
  const detail = await waitForDeliveries(gw, conversionId, 'succeeded', FIRST_UPLOAD_MS);
  const mine = fake.calls.slice(calls).filter((c) => c.request.conversions?.some((r: { gclid?: string }) => r.gclid === 'EAIaIQobChMI-e2e-retry'));
  assert.deepEqual(
    mine.map((c) => c.answer),
    ['UNAVAILABLE', 'ok'],
  );
  const orderIds = mine.map((c) => c.request.conversions.find((r: { gclid?: string }) => r.gclid === 'EAIaIQobChMI-e2e-retry').order_id);
  assert.deepEqual(orderIds, [detail.deliveries[0].dedup_key, detail.deliveries[0].dedup_key]);
  assert.deepEqual(
    attemptLog(detail.deliveries[0]).map((a: { error_kind: string | null }) => a.error_kind),
    ['transient', null],
  );
});

test('"test destination" uploads with validate_only and nothing is recorded; "verify" checks the OAuth credentials', async () => {
  const accepted = fake.accepted.length;
  const res = await gw.admin('/v1/destinations/gads/test', { method: 'POST', body: JSON.stringify({ payout: '3.50' }) });
  assert.equal(res.body.ok, true, JSON.stringify(res.body));
  assert.equal(res.body.note, 'validate_only: checked by Google, nothing recorded');
  assert.equal(JSON.parse(res.body.request.body).validate_only, true);
  assert.equal(fake.calls.at(-1)?.request.validate_only, true);
  assert.equal(fake.accepted.length, accepted);
  const verify = await gw.admin('/v1/destinations/gads/verify', { method: 'POST' });
  assert.deepEqual(verify.body, { destination: 'gads', supported: true, ok: true });
});

test('CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE pauses the destination and points at google-data-manager', async () => {
  fake.next({
    rpcError: {
      status: grpc.status.PERMISSION_DENIED,
      errors: [{ type: 'not_allowlisted_error', code: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', message: 'The customer is not allowlisted.' }],
    },
  });
  const { conversionId } = await convert('EAIaIQobChMI-e2e-denied', 'tx-gads-denied');
  const deadline = Date.now() + FIRST_UPLOAD_MS;
  let dest: { paused: boolean; paused_reason: string | null } | undefined;
  while (Date.now() < deadline) {
    dest = (await gw.admin('/v1/destinations')).body.destinations.find((d: { id: string }) => d.id === 'gads');
    if (dest?.paused) break;
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.equal(dest?.paused, true);
  assert.match(dest?.paused_reason ?? '', /^config: Google Ads CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE: .*google-data-manager connector/);
  const detail = (await gw.admin(`/v1/conversions/${conversionId}`)).body;
  assert.equal(detail.deliveries[0].status, 'pending', 'waits for the destination to be fixed, not dead');
  assert.equal(attemptLog(detail.deliveries[0])[0].next_step, 'paused');
  assert.deepEqual(guard.blocked, [], 'no connection left the machine');
});
