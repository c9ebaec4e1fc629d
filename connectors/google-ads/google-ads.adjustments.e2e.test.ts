import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { guardLoopbackOnly, startGoogleAdsFake, type GoogleAdsFake } from '../../test/fakes/google-ads';
import { startMetaFake, type MetaFake } from '../../test/fakes/meta';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import { closeGoogleAdsClients } from './index';

/**
 * Issue 11 item 6 through the whole gateway: a conversion delivered, then reversed by the network
 * (a rejected postback, another payout) → the correction reaches the Google Ads fake once, as
 * ConversionAdjustmentUploadService wants it; Meta cannot take one back and the conversion says so.
 */

const OAUTH = { clientId: 'adj-client.apps.googleusercontent.com', clientSecret: 'GOCSPX-adj-client-secret', refreshToken: '1//adj-refresh-token' };
const TOKEN = 'EAAB-adj-token-0123456789abcdefghijklmnopq';
const PIXEL = '555000111222444';
const FIRST_UPLOAD_MS = 90_000;
const ACTION = 'customers/1234567890/conversionActions/777';
const OFF_ACTION = 'customers/1234567890/conversionActions/888';

let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: GoogleAdsFake;
let meta: MetaFake;
let gw: TestGateway;

const gadsSettings = (conversionActionId: string) => ({
  customerId: '123-456-7890',
  conversionActionId,
  timeZone: 'Europe/Paris',
  endpoint: { host: '127.0.0.1', port: fake.port, insecure: true },
  tokenUrl: fake.tokenUrl,
});
const credentials = () => ({ client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken });

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startGoogleAdsFake({ oauth: OAUTH });
  meta = await startMetaFake({ accessToken: TOKEN, pixels: [PIXEL] });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        { id: 'gads', connector: 'google-ads', retractions: true, settings: gadsSettings('777'), credentials: credentials() },
        { id: 'gads-off', connector: 'google-ads', settings: gadsSettings('888'), credentials: credentials() },
        { id: 'fb', connector: 'meta', retractions: true, settings: { pixelId: PIXEL, baseUrl: meta.url }, credentials: { accessToken: TOKEN } },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await closeGoogleAdsClients();
  await fake.close();
  await meta.close();
  guard.restore();
});

async function delivered(gclid: string, tx: string, payout = '12.50') {
  const clickId = await gw.click('demo', { gclid });
  const res = await gw.postback({ click_id: clickId, payout, tx_id: tx });
  assert.equal(res.status, 200);
  const detail = await waitForDeliveries(gw, res.body.conversion_id, 'succeeded', FIRST_UPLOAD_MS);
  return { conversionId: res.body.conversion_id as string, clickId, detail };
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}
const detailOf = async (id: string) => (await gw.admin(`/v1/conversions/${id}`)).body;
const adjustmentCalls = () => fake.calls.filter((c) => c.method === 'UploadConversionAdjustments');
const toMs = (s: string) => Date.parse(s.replace(' ', 'T'));

describe('corrections of a delivered conversion', () => {
  test('a rejected postback retracts it at Google Ads once, by order_id; Meta "cannot be retracted"; an opted-out destination is left to the user', async () => {
    const { conversionId, clickId, detail } = await delivered('EAIaIQobChMI-adj-1', 'tx-adj-1');
    const orderId = detail.deliveries.find((d: { destination: string }) => d.destination === 'gads').dedup_key;
    const upload = fake.accepted.find((a) => a.row.order_id === orderId);
    assert.ok(upload, 'the conversion was uploaded first');

    const rejected = await gw.postback({ click_id: clickId, tx_id: 'tx-adj-1', status: 'rejected' });
    assert.equal(rejected.body.updated, true);
    const warning = rejected.body.warnings.find((w: string) => w.startsWith('status changed to rejected')) ?? '';
    assert.match(warning, /a retraction is queued for gads/);
    assert.match(warning, /gads-off still counts it — retract it there by hand, or set retractions: true/);
    assert.match(warning, /it cannot be retracted at fb/);

    const corrected = await waitFor('the retraction', async () => {
      const d = await detailOf(conversionId);
      return d.corrections.find((c: any) => c.destination === 'gads' && c.status === 'succeeded') ? d : undefined;
    });
    const applied = fake.adjustments.filter((a) => a.orderId === orderId);
    assert.equal(applied.length, 1, 'Google applied one adjustment');
    const row = applied[0]?.row;
    assert.equal(row.adjustment_type, 'RETRACTION');
    assert.equal(row.order_id, orderId, 'identified the way it was uploaded');
    assert.equal(row.gclid_date_time_pair, undefined, 'never order_id and gclid_date_time_pair together');
    assert.equal(row.conversion_action, ACTION);
    assert.match(row.adjustment_date_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0[12]:00$/, 'Europe/Paris, with its offset');
    assert.ok(toMs(row.adjustment_date_time) > toMs(upload.row.conversion_date_time), 'after the conversion');
    assert.ok(!fake.adjustments.some((a) => a.row.conversion_action === OFF_ACTION), 'retractions off: nothing sent for gads-off');

    const byDest = Object.fromEntries(corrected.corrections.map((c: any) => [c.destination, c.status]));
    assert.deepEqual(byDest, { gads: 'succeeded', 'gads-off': 'not_enabled', fb: 'cannot_be_corrected' });
    const correction = corrected.deliveries.find((d: any) => d.destination === 'gads#retraction');
    assert.equal(correction.dedup_key, orderId);
    assert.match(correction.attempts[0].request.url, /ConversionAdjustmentUploadService\/UploadConversionAdjustments$/);
    assert.ok(
      corrected.warnings.some((w: string) => /cannot be retracted at fb/.test(w)),
      'recorded on the conversion',
    );

    // The network repeats the reject: nothing more is queued, nothing more is sent.
    const calls = adjustmentCalls().length;
    const again = await gw.postback({ click_id: clickId, tx_id: 'tx-adj-1', status: 'rejected' });
    assert.equal(again.status, 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(adjustmentCalls().length, calls);
    assert.equal((await detailOf(conversionId)).deliveries.filter((d: any) => d.destination === 'gads#retraction').length, 1);
  });

  test('another payout restates the value; a failed send is retried with the same order_id and adjustment time', async () => {
    const { conversionId, clickId, detail } = await delivered('EAIaIQobChMI-adj-2', 'tx-adj-2', '12.50');
    const orderId = detail.deliveries.find((d: { destination: string }) => d.destination === 'gads').dedup_key;
    fake.next({ rpcError: { status: grpc.status.UNAVAILABLE, message: 'try again' } });
    const before = adjustmentCalls().length;
    const changed = await gw.postback({ click_id: clickId, tx_id: 'tx-adj-2', payout: '20.00' });
    assert.match(changed.body.warnings.join('\n'), /a restatement to 20\.00 USD is queued for gads — correct fb, gads-off by hand/);

    const corrected = await waitFor('the restatement', async () => {
      const d = await detailOf(conversionId);
      return d.corrections.find((c: any) => c.destination === 'gads' && c.status === 'succeeded') ? d : undefined;
    });
    const mine = adjustmentCalls()
      .slice(before)
      .map((c) => c.request.conversion_adjustments[0]);
    assert.deepEqual(
      adjustmentCalls()
        .slice(before)
        .map((c) => c.answer),
      ['UNAVAILABLE', 'ok'],
    );
    assert.deepEqual(mine[0], mine[1], 'the resend is the same adjustment: same order_id, type and adjustment time');
    assert.equal(mine[1].adjustment_type, 'RESTATEMENT');
    assert.equal(mine[1].order_id, orderId);
    assert.deepEqual(mine[1].restatement_value, { adjusted_value: 20, currency_code: 'USD' });
    const c = corrected.corrections.find((x: any) => x.destination === 'gads');
    assert.equal(c.type, 'restatement');
    assert.equal(c.value, '20.00');
    assert.equal(corrected.payout, '12.50', 'the stored payout is kept, as before');

    // The same payout again: already restated to it, nothing new.
    await gw.postback({ click_id: clickId, tx_id: 'tx-adj-2', payout: '20.0' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(adjustmentCalls().length, before + 2);

    // A third figure: the same correction row goes out again with the new value and a later time.
    await new Promise((r) => setTimeout(r, 1_000)); // adjustment times are whole seconds
    await gw.postback({ click_id: clickId, tx_id: 'tx-adj-2', payout: '25.00' });
    const third = await waitFor('the second restatement', async () => {
      const d = await detailOf(conversionId);
      const c = d.corrections.find((x: any) => x.destination === 'gads');
      return c?.value === '25.00' && c.status === 'succeeded' ? d : undefined;
    });
    assert.equal(third.deliveries.filter((d: any) => d.destination === 'gads#restatement').length, 1, 'one correction row per type');
    const restated = fake.adjustments.filter((a) => a.orderId === orderId).map((a) => a.row);
    assert.deepEqual(
      restated.map((r) => r.restatement_value.adjusted_value),
      [20, 25],
    );
    assert.ok(toMs(restated[1].adjustment_date_time) > toMs(restated[0].adjustment_date_time), 'newer than the last restatement');
    assert.deepEqual(guard.blocked, [], 'no connection left the machine');
  });

  test('a retraction of a conversion Google never recorded dies with CONVERSION_NOT_FOUND, replayable', async () => {
    // The upload is answered "already in use" (a success for us) but the fake records nothing: Google
    // has no conversion with this order id when the retraction arrives.
    // Two uploads go out (gads and gads-off, in either order): both are answered so.
    for (let i = 0; i < 2; i++) fake.next({ rowErrors: [{ type: 'conversion_upload_error', code: 'ORDER_ID_ALREADY_IN_USE', index: 0 }] });
    const { conversionId, clickId } = await delivered('EAIaIQobChMI-adj-3', 'tx-adj-3');
    await gw.postback({ click_id: clickId, tx_id: 'tx-adj-3', status: 'rejected' });
    const d = await waitFor('the dead retraction', async () => {
      const x = await detailOf(conversionId);
      return x.corrections.find((c: any) => c.destination === 'gads' && c.status === 'dead') ? x : undefined;
    });
    const c = d.corrections.find((x: any) => x.destination === 'gads');
    assert.match(c.last_error, /CONVERSION_NOT_FOUND/);
    const attempt = d.deliveries.find((x: any) => x.destination === 'gads#retraction').attempts[0];
    assert.equal(attempt.error_kind, 'payload');
    assert.equal(attempt.platform_code, 'CONVERSION_NOT_FOUND');
  });
});
