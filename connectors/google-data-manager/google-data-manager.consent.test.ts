import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { guardLoopbackOnly } from '../../test/fakes/google-ads';
import { checkIngest, startDataManagerFake, type DataManagerFake } from '../../test/fakes/google-data-manager';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import type { Consent } from '../../src/conversions/consent';
import { contextFixture, conversionFixture, itemFixture } from './fixtures';
import { googleDataManager } from './index';

const EMAIL = 'c'.repeat(64);

function build(consents: Array<Consent | undefined>, settings: Record<string, unknown> = {}) {
  const items = consents.map((consent, i) =>
    itemFixture(conversionFixture({ id: `conv-${i}`, identifiers: { email_google_sha256: EMAIL }, ...(consent ? { consent } : {}) }), { dedupKey: `key-${i}` }),
  );
  const request = googleDataManager.build(items, contextFixture(settings));
  const body = JSON.parse(request.body ?? '{}');
  return { body, sent: items.map((it) => googleDataManager.identifiersSent?.(request, it.dedupKey)) };
}

describe('google-data-manager consent', () => {
  it("each event carries the conversion's own consent; the request-level one stays the settings'", () => {
    const { body } = build([{ adUserData: 'granted', adPersonalization: 'denied' }, undefined], { consent: { adUserData: 'CONSENT_GRANTED' } });
    assert.deepEqual(body.events[0].consent, { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_DENIED' });
    assert.equal('consent' in body.events[1], false, 'a conversion that says nothing inherits the request-level consent');
    assert.deepEqual(body.consent, { adUserData: 'CONSENT_GRANTED' });
    assert.deepEqual(checkIngest(body), [], 'the fake accepts the placement and the enum values');
  });

  it("ad_user_data denied (the event's own, or the request default it inherits): no userData for that event", () => {
    const own = build([{ adUserData: 'denied' }, { adUserData: 'granted' }]);
    assert.equal(own.body.events[0].userData, undefined);
    assert.deepEqual(own.body.events[1].userData, { userIdentifiers: [{ emailAddress: EMAIL }] });
    assert.deepEqual(own.sent, [['click_id'], ['click_id', 'email']]);

    const inherited = build([undefined, { adUserData: 'granted' }], { consent: { adUserData: 'CONSENT_DENIED' } });
    assert.equal(inherited.body.events[0].userData, undefined, 'the request-level DENIED applies to an event without its own');
    assert.ok(inherited.body.events[1].userData, "the event's GRANTED overrides the request's DENIED");
    assert.equal(inherited.body.encoding, 'HEX');

    const none = build([{ adUserData: 'denied' }]);
    assert.equal(none.body.encoding, undefined, 'no userData at all: no encoding');
    assert.deepEqual(checkIngest(none.body), []);
  });

  it('the fake refuses what Google would: an unknown enum value or field in consent', () => {
    const { body } = build([{ adUserData: 'granted' }]);
    body.events[0].consent = { adUserData: 'GRANTED' };
    body.consent = { ad_user_data: 'CONSENT_GRANTED' };
    const v = checkIngest(body).map((x) => x.field);
    assert.deepEqual(v, ['events[0].consent.adUserData', 'consent.ad_user_data']);
  });
});

const OAUTH = { clientId: 'dm-consent.apps.googleusercontent.com', clientSecret: 'GOCSPX-dm-consent', refreshToken: '1//dm-consent-refresh' };
let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: DataManagerFake;
let gw: TestGateway;

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startDataManagerFake(OAUTH);
  gw = await startTestGateway({
    configOverrides: {
      destinations: [fake.destination({ settings: { consent: { adUserData: 'CONSENT_DENIED', adPersonalization: 'CONSENT_DENIED' } } })],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
  guard.restore();
});

test("through the gateway: the postback's consent on its event, the default at request level, userData only where granted", async () => {
  const granted = await gw.click('demo', { gclid: 'G-dm-consent-1' });
  const r1 = await gw.postback({
    click_id: granted,
    tx_id: 'dm-consent-1',
    email: 'a@example.com',
    consent_ad_user_data: 'granted',
    consent_ad_personalization: 'true',
  });
  const silent = await gw.click('demo', { gclid: 'G-dm-consent-2' });
  const r2 = await gw.postback({ click_id: silent, tx_id: 'dm-consent-2', email: 'b@example.com' });
  await waitForDeliveries(gw, r1.body.conversion_id, 'succeeded', 10_000);
  await waitForDeliveries(gw, r2.body.conversion_id, 'succeeded', 10_000);

  const find = (gclid: string) => {
    for (const i of fake.ingests)
      for (const e of i.body?.events ?? []) if (e.adIdentifiers?.gclid === gclid) return { event: e, request: i.body, status: i.status };
    throw new Error(`no ingest for ${gclid}`);
  };
  const one = find('G-dm-consent-1');
  assert.equal(one.status, 200);
  assert.deepEqual(one.event.consent, { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' });
  assert.equal(one.event.userData.userIdentifiers.length, 1);
  assert.deepEqual(one.request.consent, { adUserData: 'CONSENT_DENIED', adPersonalization: 'CONSENT_DENIED' });
  const two = find('G-dm-consent-2');
  assert.equal(two.event.consent, undefined);
  assert.equal(two.event.userData, undefined, "the request's DENIED: no hashed email for a conversion that said nothing");
});
