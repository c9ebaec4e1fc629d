import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { startTiktokFake, type TiktokFake } from '../../test/fakes/tiktok';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import type { Consent } from '../../src/conversions/consent';
import { TIKTOK_PIXEL, TIKTOK_TOKEN, tiktokContext, tiktokConversion, tiktokItem } from './fixtures';
import { tiktok } from './index';

function event(consent: Consent | undefined, settings: Record<string, unknown> = {}) {
  const item = tiktokItem(tiktokConversion(consent ? { consent } : {}));
  return JSON.parse(tiktok.build([item], tiktokContext(settings)).body ?? '{}').data[0];
}

describe('tiktok limited data use', () => {
  it("sends the conversion's signal on the event, else the destination's default, else nothing", () => {
    assert.equal(event({ limitedDataUse: true }).limited_data_use, true);
    assert.equal(event({ limitedDataUse: false }, { limitedDataUse: true }).limited_data_use, false, 'the conversion wins');
    assert.equal(event(undefined, { limitedDataUse: true }).limited_data_use, true);
    assert.equal('limited_data_use' in event({ adUserData: 'granted' }), false, 'Google consent says nothing to TikTok');
    assert.equal('limited_data_use' in event(undefined).user, false);
  });
});

let fake: TiktokFake;
let gw: TestGateway;
before(async () => {
  fake = await startTiktokFake({ accessToken: TIKTOK_TOKEN, pixelCode: TIKTOK_PIXEL });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'tt',
          connector: 'tiktok',
          settings: { pixelCode: TIKTOK_PIXEL, baseUrl: fake.url, limitedDataUse: false },
          credentials: { accessToken: TIKTOK_TOKEN },
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

test("through the gateway: the postback's limited_data_use reaches TikTok on the event", async () => {
  const a = await gw.postback({ click_id: await gw.click('demo', { ttclid: 'E.C.P.ldu-1' }), tx_id: 'tt-ldu-1', payout: '2', limited_data_use: '1' });
  const b = await gw.postback({ click_id: await gw.click('demo', { ttclid: 'E.C.P.ldu-2' }), tx_id: 'tt-ldu-2', payout: '2' });
  await waitForDeliveries(gw, a.body.conversion_id, 'succeeded');
  await waitForDeliveries(gw, b.body.conversion_id, 'succeeded');
  const got = await fake.waitForAccepted(2);
  assert.equal(got.find((e) => e.ttclid === 'E.C.P.ldu-1')?.limited_data_use, true);
  assert.equal(got.find((e) => e.ttclid === 'E.C.P.ldu-2')?.limited_data_use, false, "the destination's default");
});

test('the fake refuses what TikTok would: a non-boolean limited_data_use, or one inside user', async () => {
  const item = tiktokItem(tiktokConversion({ consent: { limitedDataUse: true }, receivedAt: Date.now() }));
  const request = tiktok.build([item], tiktokContext({ baseUrl: fake.url }));
  const body = JSON.parse(request.body ?? '{}');
  const send = async (b: unknown) =>
    (await (await fetch(request.url, { method: 'POST', headers: request.headers, body: JSON.stringify(b) })).json()) as { code: number; message: string };
  assert.equal((await send(body)).code, 0);
  body.data[0].limited_data_use = 'true';
  assert.match((await send(body)).message, /limited_data_use must be a boolean/);
  body.data[0].limited_data_use = true;
  body.data[0].user.limited_data_use = true;
  assert.match((await send(body)).message, /belongs on the event/);
});
