import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { guardLoopbackOnly, startGoogleAdsFake, type GoogleAdsFake } from '../../test/fakes/google-ads';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import type { Consent } from '../../src/conversions/consent';
import { contextFixture, conversionFixture, itemFixture } from './fixtures';
import { closeGoogleAdsClients, googleAds } from './index';
import { googleAdsSettingsSchema } from './schema';

const EMAIL = 'a'.repeat(64);
const PHONE = 'b'.repeat(64);

function row(consent: Consent | undefined, settings: Record<string, unknown> = {}) {
  const item = itemFixture(conversionFixture({ identifiers: { email_google_sha256: EMAIL, phone_e164_sha256: PHONE }, ...(consent ? { consent } : {}) }));
  const request = googleAds.build([item], contextFixture(settings));
  return { row: JSON.parse(request.body ?? '{}').conversions[0], sent: googleAds.identifiersSent?.(request, item.dedupKey) };
}

describe('google-ads consent', () => {
  it("sends the conversion's ad_user_data as ClickConversion.consent, with the hashed identifiers when granted", () => {
    const { row: r, sent } = row({ adUserData: 'granted', adPersonalization: 'granted' });
    assert.deepEqual(r.consent, { ad_user_data: 'GRANTED' }, 'ad_personalization is never sent on a click conversion');
    assert.deepEqual(r.user_identifiers, [{ hashed_email: EMAIL }, { hashed_phone_number: PHONE }]);
    assert.deepEqual(sent, ['click_id', 'email', 'phone']);
  });

  it('ad_user_data denied: the click id goes, the hashed email and phone do not', () => {
    const { row: r, sent } = row({ adUserData: 'denied' });
    assert.deepEqual(r.consent, { ad_user_data: 'DENIED' });
    assert.equal(r.user_identifiers, undefined);
    assert.equal(r.gclid !== undefined, true);
    assert.deepEqual(sent, ['click_id']);
  });

  it("the destination's default applies only when the conversion says nothing", () => {
    assert.deepEqual(row(undefined, { consent: { adUserData: 'DENIED' } }).row.consent, { ad_user_data: 'DENIED' });
    assert.equal(row(undefined, { consent: { adUserData: 'DENIED' } }).row.user_identifiers, undefined);
    assert.deepEqual(row({ adUserData: 'granted' }, { consent: { adUserData: 'DENIED' } }).row.consent, { ad_user_data: 'GRANTED' }, 'the conversion wins');
    assert.deepEqual(row({ limitedDataUse: true }, { consent: { adUserData: 'GRANTED' } }).row.consent, { ad_user_data: 'GRANTED' });
    const none = row(undefined).row;
    assert.equal('consent' in none, false, 'nothing said anywhere: no consent field');
    assert.equal(none.user_identifiers.length, 2);
  });

  it('settings: ad_user_data is GRANTED or DENIED; ad_personalization is refused by name', () => {
    const base = { customerId: '1234567890', conversionActionId: '5' };
    assert.equal(googleAdsSettingsSchema.safeParse({ ...base, consent: { adUserData: 'GRANTED' } }).success, true);
    const bad = googleAdsSettingsSchema.safeParse({ ...base, consent: { adUserData: 'yes' } });
    assert.match(bad.error?.issues[0]?.message ?? '', /GRANTED or DENIED/);
    const perso = googleAdsSettingsSchema.safeParse({ ...base, consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' } });
    assert.match(perso.error?.issues[0]?.message ?? '', /no ad_personalization on click conversions/);
  });
});

/** Through the whole gateway and google-ads-api's gRPC serializer to the fake, which decodes the enum. */
const OAUTH = { clientId: 'consent-client.apps.googleusercontent.com', clientSecret: 'GOCSPX-consent-secret', refreshToken: '1//consent-refresh' };
let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: GoogleAdsFake;
let gw: TestGateway;

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startGoogleAdsFake({ oauth: OAUTH });
  const destination = (id: string, extra: Record<string, unknown>) => ({
    id,
    connector: 'google-ads',
    settings: {
      customerId: '1234567890',
      conversionActionId: id === 'gads' ? '701' : '702',
      endpoint: { host: '127.0.0.1', port: fake.port, insecure: true },
      tokenUrl: fake.tokenUrl,
      ...extra,
    },
    credentials: { client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken },
  });
  gw = await startTestGateway({
    configOverrides: { destinations: [destination('gads', {}), destination('gads-denied', { consent: { adUserData: 'DENIED' } })] },
  });
});
after(async () => {
  await gw.close();
  await closeGoogleAdsClients();
  await fake.close();
  guard.restore();
});

test('the fake receives ad_user_data as Google decodes it; denied conversions carry no user identifiers', async () => {
  const granted = await gw.click('demo', { gclid: 'G-consent-granted', consent_ad_user_data: 'granted' });
  const r1 = await gw.postback({ click_id: granted, tx_id: 'gads-consent-1', payout: '5', email: 'Jane.Doe@Gmail.com' });
  const denied = await gw.click('demo', { gclid: 'G-consent-denied' });
  const r2 = await gw.postback({ click_id: denied, tx_id: 'gads-consent-2', payout: '5', email: 'john@example.com', consent_ad_user_data: '0' });
  await waitForDeliveries(gw, r1.body.conversion_id, 'succeeded', 90_000);
  await waitForDeliveries(gw, r2.body.conversion_id, 'succeeded', 90_000);

  const rows = (gclid: string) => fake.accepted.filter((a) => a.row.gclid === gclid).map((a) => a.row);
  const [own, defaulted] = rows('G-consent-granted').sort((a, b) => a.conversion_action.localeCompare(b.conversion_action));
  assert.deepEqual(own?.consent, { ad_user_data: 'GRANTED' });
  assert.equal(own?.user_identifiers?.length, 1, 'granted: the hashed email goes');
  assert.deepEqual(defaulted?.consent, { ad_user_data: 'GRANTED' }, "the click's signal wins over the destination's DENIED default");

  for (const r of rows('G-consent-denied')) {
    assert.deepEqual(r.consent, { ad_user_data: 'DENIED' });
    assert.equal(r.user_identifiers, undefined, 'denied: no hashed email reaches Google');
  }
  assert.equal(rows('G-consent-denied').length, 2);
});
