import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { guardLoopbackOnly } from '../../test/fakes/google-ads';
import { startDataManagerFake, type DataManagerFake } from '../../test/fakes/google-data-manager';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';

/**
 * Data Manager's corrections: a restatement is the same event again (same transactionId, same
 * click id) with the new value; there is no retraction, so a rejected conversion is marked
 * "cannot be retracted" and nothing is sent.
 */
const OAUTH = { clientId: 'dm-adj.apps.googleusercontent.com', clientSecret: 'GOCSPX-dm-adj-secret', refreshToken: '1//dm-adj-refresh' };
let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: DataManagerFake;
let gw: TestGateway;

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startDataManagerFake(OAUTH);
  gw = await startTestGateway({
    configOverrides: {
      destinations: [fake.destination({ retractions: true })],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
  guard.restore();
});

const eventsFor = (gclid: string) => fake.ingests.flatMap((i) => (i.body?.events ?? []).filter((e: any) => e.adIdentifiers?.gclid === gclid));

test('another payout: the event again with the same transactionId and the new value; a reject: cannot be retracted, nothing sent', async () => {
  const clickId = await gw.click('demo', { gclid: 'EAIaIQobChMI-dm-adj' });
  const first = await gw.postback({ click_id: clickId, payout: '12.50', tx_id: 'tx-dm-adj' });
  const id = first.body.conversion_id as string;
  await waitForDeliveries(gw, id, 'succeeded', 10_000);

  const changed = await gw.postback({ click_id: clickId, payout: '30.00', tx_id: 'tx-dm-adj' });
  assert.match(changed.body.warnings.join('\n'), /a restatement to 30\.00 USD is queued for gdm/);
  await waitForDeliveries(gw, id, 'succeeded', 10_000);
  const [original, restatement] = eventsFor('EAIaIQobChMI-dm-adj');
  assert.ok(restatement, 'the restatement was ingested');
  assert.equal(restatement.transactionId, original.transactionId, 'matched to the conversion by transactionId');
  assert.equal(original.conversionValue, 12.5);
  assert.equal(restatement.conversionValue, 30);
  assert.equal(restatement.currency, 'USD');
  assert.equal(restatement.eventTimestamp, original.eventTimestamp, 'every other field as first sent');

  const ingests = fake.ingests.length;
  const rejected = await gw.postback({ click_id: clickId, tx_id: 'tx-dm-adj', status: 'rejected' });
  assert.match(rejected.body.warnings.join('\n'), /it cannot be retracted at gdm/);
  const detail = (await gw.admin(`/v1/conversions/${id}`)).body;
  assert.deepEqual(
    detail.corrections.map((c: any) => [c.destination, c.type, c.status]),
    [
      ['gdm', 'restatement', 'succeeded'],
      ['gdm', 'retraction', 'cannot_be_corrected'],
    ],
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(fake.ingests.length, ingests, 'nothing sent for the reject');
  assert.deepEqual(guard.blocked, []);
});
