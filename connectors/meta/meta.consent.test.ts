import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { eventProblem, startMetaFake, type MetaFake } from '../../test/fakes/meta';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import type { Consent } from '../../src/conversions/consent';
import { contextFixture, conversionFixture, itemFixture } from './fixtures';
import { meta } from './index';
import { metaSettingsSchema } from './schema';

function event(consent: Consent | undefined, settings: Record<string, unknown> = {}) {
  const item = itemFixture(conversionFixture(consent ? { consent } : {}));
  return JSON.parse(meta.build([item], contextFixture(settings)).body ?? '{}').data[0];
}
const dpo = (e: Record<string, unknown>) => ({
  options: e.data_processing_options,
  country: e.data_processing_options_country,
  state: e.data_processing_options_state,
});

describe('meta limited data use', () => {
  it("the conversion's limited_data_use: LDU with the destination's country and state, or geolocated", () => {
    assert.deepEqual(dpo(event({ limitedDataUse: true })), { options: ['LDU'], country: 0, state: 0 });
    assert.deepEqual(dpo(event({ limitedDataUse: true }, { limitedDataUse: { country: 1, state: 1000 } })), { options: ['LDU'], country: 1, state: 1000 });
  });
  it("the destination's default applies when the conversion says nothing; a conversion's no is an explicit []", () => {
    assert.deepEqual(dpo(event(undefined, { limitedDataUse: {} })), { options: ['LDU'], country: 0, state: 0 });
    assert.deepEqual(dpo(event({ limitedDataUse: false }, { limitedDataUse: { country: 1, state: 1000 } })), {
      options: [],
      country: undefined,
      state: undefined,
    });
    assert.deepEqual(dpo(event({ adUserData: 'denied' })), { options: undefined, country: undefined, state: undefined }, 'Google consent says nothing to Meta');
  });
  it('every form passes the checks the fake makes; a malformed one does not', () => {
    for (const e of [event({ limitedDataUse: true }), event({ limitedDataUse: false }), event(undefined, { limitedDataUse: { country: 1, state: 1000 } })])
      assert.equal(eventProblem(e, 0), null);
    assert.match(eventProblem({ ...event(undefined), data_processing_options_country: 1 }, 0) ?? '', /need data_processing_options/);
    assert.match(eventProblem({ ...event(undefined), data_processing_options: ['CCPA'] }, 0) ?? '', /\[\] or \["LDU"\]/);
  });
  it('settings: country 0 or 1, a whole state code', () => {
    const ok = metaSettingsSchema.safeParse({ pixelId: '123456789012345', limitedDataUse: {} });
    assert.deepEqual(ok.data?.limitedDataUse, { country: 0, state: 0 });
    assert.match(
      metaSettingsSchema.safeParse({ pixelId: '123456789012345', limitedDataUse: { country: 840 } }).error?.issues[0]?.message ?? '',
      /0 \(geolocate\) or 1 \(US\)/,
    );
    assert.equal(metaSettingsSchema.safeParse({ pixelId: '123456789012345', limitedDataUse: { state: 'CA' } }).success, false);
  });
});

const TOKEN = 'EAAB-consent-token-0123456789abcdefghijkl';
const PIXEL = '555000111222444';
let fake: MetaFake;
let gw: TestGateway;
before(async () => {
  fake = await startMetaFake({ accessToken: TOKEN, pixels: [PIXEL] });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'fb',
          connector: 'meta',
          settings: { pixelId: PIXEL, baseUrl: fake.url, limitedDataUse: { country: 1, state: 1000 } },
          credentials: { accessToken: TOKEN },
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

test("through the gateway: the destination's LDU default, and a click's explicit no", async () => {
  const ua = { 'user-agent': 'Mozilla/5.0 consent-e2e' };
  const a = await gw.postback({ click_id: await gw.click('demo', { fbclid: 'IwAR-ldu-default' }, ua), payout: '3', tx_id: 'meta-ldu-1' });
  const b = await gw.postback({ click_id: await gw.click('demo', { fbclid: 'IwAR-ldu-no', limited_data_use: '0' }, ua), payout: '3', tx_id: 'meta-ldu-2' });
  await waitForDeliveries(gw, a.body.conversion_id, 'succeeded');
  await waitForDeliveries(gw, b.body.conversion_id, 'succeeded');
  const accepted = await fake.waitForEvents(2);
  const byTx = (tx: string) => accepted.find((x) => x.event.custom_data?.order_id === tx)?.event ?? {};
  assert.deepEqual(dpo(byTx('meta-ldu-1')), { options: ['LDU'], country: 1, state: 1000 });
  assert.deepEqual(dpo(byTx('meta-ldu-2')), { options: [], country: undefined, state: undefined });
});
