import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SOURCE_SECRET, startTestGateway, type TestGateway } from './helpers/gateway';

/**
 * Consent signals in (issue 11 item 5): a postback, a redirect click and a landing-page click
 * may carry them; the conversion keeps the postback's, each falling back to the click's, and the
 * admin API shows them. What each platform receives is tested per connector.
 */
let gw: TestGateway;
before(async () => {
  gw = await startTestGateway();
});
after(async () => {
  await gw.close();
});

let seq = 0;
async function convert(params: Record<string, string>): Promise<any> {
  const res = await gw.postback({ tx_id: `consent-${++seq}`, ...params });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const detail = await gw.admin(`/v1/conversions/${res.body.conversion_id}`);
  assert.equal(detail.status, 200);
  return detail.body;
}

test("a redirect click's consent is used where the postback says nothing; the postback wins signal by signal", async () => {
  const clickId = await gw.click('demo', { gclid: 'G-consent', consent_ad_user_data: 'granted', consent_ad_personalization: 'denied', limited_data_use: '1' });
  const fromClick = await convert({ click_id: clickId });
  assert.deepEqual(fromClick.consent, { ad_user_data: 'granted', ad_personalization: 'denied', limited_data_use: true });

  const overridden = await convert({ click_id: clickId, consent_ad_user_data: 'DENIED', limited_data_use: 'false' });
  assert.deepEqual(overridden.consent, { ad_user_data: 'denied', ad_personalization: 'denied', limited_data_use: false });
  assert.deepEqual(overridden.params, {}, 'consent parameters are not kept as other parameters');

  const none = await convert({});
  assert.deepEqual(none.consent, { ad_user_data: null, ad_personalization: null, limited_data_use: null }, 'not said is null, not denied');
  const list = await gw.admin('/v1/conversions?limit=5');
  assert.equal(list.status, 200);
  assert.ok(
    list.body.conversions.some((c: any) => c.consent.ad_user_data === 'denied'),
    'the list rows carry the consent too',
  );
});

test('POST /v1/clicks takes consent as words or JSON booleans', async () => {
  const res = await fetch(`${gw.url}/v1/clicks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gclid: 'G-lp', consent_ad_user_data: true, consent_ad_personalization: 'granted', limited_data_use: false }),
  });
  assert.equal(res.status, 201);
  const { click_id } = (await res.json()) as { click_id: string };
  const c = await convert({ click_id });
  assert.deepEqual(c.consent, { ad_user_data: 'granted', ad_personalization: 'granted', limited_data_use: false });
});

test('a bad consent value: 400 naming the parameter on a click (nothing stored) and on a postback (recorded as a rejection)', async () => {
  const redirect = await fetch(`${gw.url}/c/demo?gclid=x&consent_ad_user_data=perhaps`, { redirect: 'manual' });
  assert.equal(redirect.status, 400);
  const rbody = (await redirect.json()) as any;
  assert.equal(rbody.error.code, 'INVALID_CLICK');
  assert.equal(rbody.error.details[0].field, 'consent_ad_user_data');

  const posted = await fetch(`${gw.url}/v1/clicks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gclid: 'x', limited_data_use: 'granted' }),
  });
  assert.equal(posted.status, 400);
  assert.equal(((await posted.json()) as any).error.details[0].field, 'limited_data_use');

  const pb = await fetch(`${gw.url}/postback?${new URLSearchParams({ key: SOURCE_SECRET, tx_id: 'consent-bad', consent_ad_personalization: 'opt-in' })}`);
  assert.equal(pb.status, 400);
  const body = (await pb.json()) as any;
  assert.equal(body.error.code, 'INVALID_POSTBACK');
  assert.equal(body.error.details[0].field, 'consent_ad_personalization');
  const rejections = await gw.admin('/v1/rejections?limit=5');
  assert.ok(rejections.body.rejections.some((r: any) => r.params.tx_id === 'consent-bad'));
});

test("a repeat's different consent is not applied, and says so on the conversion", async () => {
  const first = await gw.postback({ tx_id: 'consent-repeat', status: 'pending', consent_ad_user_data: 'denied' });
  assert.equal(first.status, 200);
  const again = await gw.postback({ tx_id: 'consent-repeat', status: 'approved', consent_ad_user_data: 'granted', limited_data_use: '1' });
  assert.equal(again.body.updated, true);
  assert.ok(
    again.body.warnings.includes(
      'consent adUserData granted, limitedDataUse true ignored: the conversion keeps its first consent (adUserData denied, limitedDataUse (not said))',
    ),
    JSON.stringify(again.body.warnings),
  );
  const detail = await gw.admin(`/v1/conversions/${first.body.conversion_id}`);
  assert.equal(detail.body.consent.ad_user_data, 'denied');
  assert.ok(detail.body.warnings.some((w: string) => w.startsWith('consent adUserData granted')));
  const same = await gw.postback({ tx_id: 'consent-repeat', status: 'approved', consent_ad_user_data: 'denied' });
  assert.deepEqual(same.body.warnings, [], 'the same signal again is no news');
});
