import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { startTestGateway, type TestGateway } from './helpers/gateway';

let fake: FakeServer;
let gw: TestGateway;

before(async () => {
  fake = await startFakeServer((req) => (req.query.get('payout') === '9.99' ? { status: 400, body: 'bad payout' } : { status: 204 }));
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        {
          id: 'tracker',
          connector: 'http-postback',
          settings: { url: `${fake.url}/t?cid={click_id}&payout={payout}&gclid={gclid}` },
          credentials: { query: { token: 'sekret-token-123456' } },
        },
      ],
    },
  });
});
after(async () => {
  await gw.close();
  await fake.close();
});

test('POST /v1/destinations/:id/test sends one synthetic conversion and returns the exact exchange, redacted', async () => {
  const res = await gw.admin('/v1/destinations/tracker/test', { method: 'POST', body: JSON.stringify({ payout: '3.50' }) });
  assert.equal(res.status, 200);
  assert.equal(res.body.ok, true);
  assert.equal(res.body.response_status, 204);
  assert.match(res.body.request.url, /payout=3\.50/);
  assert.ok(!JSON.stringify(res.body).includes('sekret-token-123456'), 'the credential never comes back');
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0]?.query.get('token'), 'sekret-token-123456', 'but it was sent');
  // Nothing is stored: the test conversion is not in the outbox.
  const list = await gw.admin('/v1/deliveries');
  assert.equal(list.body.deliveries.length, 0);
});

test('a failing test shows the classification', async () => {
  const res = await gw.admin('/v1/destinations/tracker/test', { method: 'POST', body: JSON.stringify({ payout: '9.99' }) });
  assert.equal(res.body.ok, false);
  assert.equal(res.body.error_kind, 'payload');
  assert.equal(res.body.response_body, 'bad payout');
});

test('verify answers supported:false for a connector without a credential check; unknown destination 404', async () => {
  const res = await gw.admin('/v1/destinations/tracker/verify', { method: 'POST' });
  assert.equal(res.body.supported, false);
  assert.equal((await gw.admin('/v1/destinations/nope/test', { method: 'POST' })).status, 404);
  assert.equal((await fetch(`${gw.url}/v1/destinations/tracker/test`, { method: 'POST' })).status, 401);
});
