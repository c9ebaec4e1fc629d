import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { startRedditFake, type RedditFake } from '../../test/fakes/reddit';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';
import type { Consent } from '../../src/conversions/consent';
import { REDDIT_PIXEL, REDDIT_TOKEN, redditContext, redditConversion, redditItem } from './fixtures';
import { reddit } from './index';
import { redditSettingsSchema } from './schema';

function user(consent: Consent | undefined, settings: Record<string, unknown> = {}) {
  const item = redditItem(redditConversion(consent ? { consent } : {}));
  const body = JSON.parse(reddit.build([item], redditContext(settings)).body ?? '{}');
  return (body.data?.events ?? body.events)[0].user;
}

describe('reddit limited data use', () => {
  for (const apiVersion of ['v2', 'v3']) {
    it(`${apiVersion}: user.data_processing_options from the conversion, else the destination's default`, () => {
      assert.deepEqual(user({ limitedDataUse: true }, { apiVersion }).data_processing_options, { modes: ['LDU'] });
      assert.deepEqual(user(undefined, { apiVersion, limitedDataUse: { country: 'US', region: 'US-CA' } }).data_processing_options, {
        modes: ['LDU'],
        country: 'US',
        region: 'US-CA',
      });
      assert.equal(
        user({ limitedDataUse: false }, { apiVersion, limitedDataUse: { country: 'US' } }).data_processing_options,
        undefined,
        'the conversion wins',
      );
      assert.equal(user({ adUserData: 'denied' }, { apiVersion }).data_processing_options, undefined);
    });
  }
  it('settings: ISO 3166 country and region', () => {
    assert.match(redditSettingsSchema.safeParse({ pixelId: REDDIT_PIXEL, limitedDataUse: { region: 'California' } }).error?.issues[0]?.message ?? '', /US-CA/);
    assert.match(redditSettingsSchema.safeParse({ pixelId: REDDIT_PIXEL, limitedDataUse: { country: 'usa' } }).error?.issues[0]?.message ?? '', /ISO 3166-1/);
  });
});

let fake: RedditFake;
let gw: TestGateway;
before(async () => {
  fake = await startRedditFake({ accessToken: REDDIT_TOKEN, pixelId: REDDIT_PIXEL });
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'rd',
          connector: 'reddit',
          settings: { pixelId: REDDIT_PIXEL, baseUrl: fake.url, apiVersion: 'v3', limitedDataUse: { country: 'US' } },
          credentials: { accessToken: REDDIT_TOKEN },
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

test("through the gateway (v3): the destination's LDU default, and a postback's explicit no", async () => {
  const a = await gw.postback({ click_id: await gw.click('demo', { rdt_cid: 'rdt-ldu-1' }), tx_id: 'rd-ldu-1', payout: '2' });
  const b = await gw.postback({ click_id: await gw.click('demo', { rdt_cid: 'rdt-ldu-2' }), tx_id: 'rd-ldu-2', payout: '2', limited_data_use: 'false' });
  await waitForDeliveries(gw, a.body.conversion_id, 'succeeded');
  await waitForDeliveries(gw, b.body.conversion_id, 'succeeded');
  const got = await fake.waitForAccepted(2);
  assert.deepEqual(got.find((e) => e.click_id === 'rdt-ldu-1')?.data_processing_options, { modes: ['LDU'], country: 'US' });
  assert.equal(got.find((e) => e.click_id === 'rdt-ldu-2')?.data_processing_options, undefined);
});

test("the fake refuses what Reddit would: a mode other than LDU, a region that is not ISO 3166-2, v2's opt_out", async () => {
  const item = redditItem(redditConversion({ consent: { limitedDataUse: true }, receivedAt: Date.now() }));
  const request = reddit.build([item], redditContext({ baseUrl: fake.url, limitedDataUse: { country: 'US', region: 'US-CA' } }));
  const body = JSON.parse(request.body ?? '{}');
  const send = async (b: unknown) => (await fetch(request.url, { method: 'POST', headers: request.headers, body: JSON.stringify(b) })).status;
  assert.equal(await send(body), 200);
  const user = body.data.events[0].user;
  for (const bad of [{ modes: ['CCPA'] }, { modes: ['LDU'], region: 'California' }]) {
    user.data_processing_options = bad;
    assert.equal(await send(body), 400, JSON.stringify(bad));
  }
  user.data_processing_options = { modes: ['LDU'] };
  user.opt_out = true;
  assert.equal(await send(body), 400);
  assert.ok(fake.rejections.some((r) => /opt_out is replaced/.test(r)));
});
