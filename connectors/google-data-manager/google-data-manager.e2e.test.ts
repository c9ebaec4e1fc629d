import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { guardLoopbackOnly } from '../../test/fakes/google-ads';
import { startDataManagerFake, type DataManagerFake } from '../../test/fakes/google-data-manager';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../../test/helpers/gateway';

/** Click → postback → the whole gateway → OAuth refresh + events:ingest on the fake (127.0.0.1). */

const OAUTH = { clientId: 'dm-e2e.apps.googleusercontent.com', clientSecret: 'GOCSPX-dm-e2e-secret', refreshToken: '1//dm-e2e-refresh-token' };

/** A delivery's attempt records, as GET /v1/conversions/:id lists them. */
const attemptLog = (d: { attempts: any[] }): any[] => d.attempts;

let guard: ReturnType<typeof guardLoopbackOnly>;
let fake: DataManagerFake;
let gw: TestGateway;

before(async () => {
  guard = guardLoopbackOnly();
  fake = await startDataManagerFake(OAUTH);
  gw = await startTestGateway({
    configOverrides: {
      destinations: [fake.destination()],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
  guard.restore();
});

async function convert(gclid: string, tx: string) {
  const clickedAt = Date.now();
  const clickId = await gw.click('demo', { gclid });
  const res = await gw.postback({ click_id: clickId, payout: '12.50', tx_id: tx });
  assert.equal(res.status, 200);
  return { conversionId: res.body.conversion_id as string, clickedAt };
}

const eventsFor = (gclid: string) =>
  fake.ingests.flatMap((i) =>
    (i.body?.events ?? [])
      .filter((e: { adIdentifiers?: { gclid?: string } }) => e.adIdentifiers?.gclid === gclid)
      .map((e: unknown) => ({ event: e as any, status: i.status })),
  );

test('a gclid click and its postback are ingested with value, currency, transactionId and a time after the click', async () => {
  const { conversionId, clickedAt } = await convert('EAIaIQobChMI-dm-1', 'tx-dm-1');
  const detail = await waitForDeliveries(gw, conversionId, 'succeeded', 10_000);
  const [sent] = eventsFor('EAIaIQobChMI-dm-1');
  assert.ok(sent, 'the fake received the event');
  assert.equal(sent.status, 200);
  assert.equal(sent.event.transactionId, detail.deliveries[0].dedup_key);
  assert.equal(sent.event.conversionValue, 12.5);
  assert.equal(sent.event.currency, 'USD');
  assert.equal(sent.event.eventSource, 'WEB');
  assert.ok(Date.parse(sent.event.eventTimestamp) > clickedAt - 1000, 'not before the click');
  const ingest = fake.ingests.find((i) => i.body?.events?.includes(sent.event));
  assert.deepEqual(ingest?.body.destinations, [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '777' }]);
  const first = attemptLog(detail.deliveries[0])[0];
  assert.match(first.note ?? '', /^requestId req-/);
  const everything = JSON.stringify(detail);
  for (const secret of [OAUTH.clientSecret, OAUTH.refreshToken, ...fake.token.issued]) assert.ok(!everything.includes(secret), 'no secret in the record');
});

test('a retried delivery carries the same transactionId', async () => {
  fake.next({ status: 503, body: 'backend unavailable' });
  const { conversionId } = await convert('EAIaIQobChMI-dm-retry', 'tx-dm-retry');
  const detail = await waitForDeliveries(gw, conversionId, 'succeeded', 10_000);
  const sent = eventsFor('EAIaIQobChMI-dm-retry');
  assert.deepEqual(
    sent.map((s) => s.status),
    [503, 200],
  );
  assert.deepEqual(
    sent.map((s) => s.event.transactionId),
    [detail.deliveries[0].dedup_key, detail.deliveries[0].dedup_key],
  );
});

test('a token without the datamanager scope pauses the destination, saying how to fix it', async () => {
  fake.next(fake.googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT'));
  await convert('EAIaIQobChMI-dm-scope', 'tx-dm-scope');
  const deadline = Date.now() + 10_000;
  let dest: { paused: boolean; paused_reason: string | null } | undefined;
  while (Date.now() < deadline && !dest?.paused) {
    dest = (await gw.admin('/v1/destinations')).body.destinations.find((d: { id: string }) => d.id === 'gdm');
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.equal(dest?.paused, true);
  assert.match(dest?.paused_reason ?? '', /^auth: Data Manager 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT: .*datamanager scope/);
  assert.deepEqual(guard.blocked, []);
});
