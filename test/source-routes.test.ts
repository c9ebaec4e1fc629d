import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, DIRECT_SECRET, SOURCE_SECRET, startTestGateway, type TestGateway } from './helpers/gateway';

/** Links & sources: the paste URL per source, the secret on demand, click URLs, the sample postback. */
let g: TestGateway;
let bare: TestGateway;

before(async () => {
  g = await startTestGateway({
    configOverrides: {
      server: { port: 0, host: '127.0.0.1', publicUrl: 'https://gw.example.com/' },
      links: [
        { id: 'demo', offerUrl: 'https://offer.example.com/lp', description: 'Demo offer' },
        { id: 'plain', offerUrl: 'https://offer.example.com/2' },
      ],
      sources: [
        { id: 'net', secret: SOURCE_SECRET },
        {
          id: 'direct',
          secret: DIRECT_SECRET,
          mode: 'direct',
          platform: 'google',
          params: { clickId: 'gclid', transactionId: 'txn', key: 'token' },
          allowIps: ['203.0.113.0/24'],
        },
      ],
    },
  });
  bare = await startTestGateway();
});
after(async () => {
  await g?.close();
  await bare?.close();
});

describe('GET /v1/sources', () => {
  it('lists each source with the URL to paste, its parameter names, and the secret hidden', async () => {
    const r = await g.admin('/v1/sources');
    assert.equal(r.status, 200);
    const [net, direct] = r.body.sources;
    assert.equal(
      net.postback_url,
      'https://gw.example.com/postback/net?key={secret}&click_id={sub5}&tx_id={transaction_id}&payout={payout}&offer_id={offer_id}',
    );
    assert.equal(
      direct.postback_url,
      'https://gw.example.com/postback/direct?token={secret}&gclid={sub5}&txn={transaction_id}&payout={payout}&offer_id={offer_id}',
    );
    assert.deepEqual(
      { id: direct.id, mode: direct.mode, platform: direct.platform, allow: direct.allow_ips, fwd: direct.forward_statuses },
      { id: 'direct', mode: 'direct', platform: 'google', allow: ['203.0.113.0/24'], fwd: ['approved'] },
    );
    assert.equal(net.platform, null);
    assert.equal(direct.params.click_id, 'gclid');
    assert.ok(!JSON.stringify(r.body).includes(SOURCE_SECRET) && !JSON.stringify(r.body).includes(DIRECT_SECRET), 'no secret in the list');
  });

  it('the paste URL with its secret passes the doctor with no finding', async () => {
    const { body } = await g.admin('/v1/sources');
    for (const s of body.sources) {
      const { body: secret } = await g.admin(`/v1/sources/${s.id}/secret`);
      const url = s.postback_url.replace('{secret}', encodeURIComponent(secret.secret));
      const r = await g.admin('/v1/doctor', { method: 'POST', body: JSON.stringify({ url, kind: 'inbound' }) });
      assert.deepEqual(r.body, { ok: true, findings: [] }, s.id);
    }
  });

  it('without server.publicUrl the paste URL uses the address the request came to', async () => {
    const r = await bare.admin('/v1/sources');
    assert.ok(r.body.sources[0].postback_url.startsWith(`${bare.url}/postback/net?key={secret}`), r.body.sources[0].postback_url);
  });
});

describe('GET /v1/sources/:id/secret', () => {
  it('shows the secret on demand, not cached', async () => {
    const res = await fetch(`${g.url}/v1/sources/net/secret`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { secret: SOURCE_SECRET });
  });
  it('404 for an unknown source, 400 for a bad id, 401 without the token', async () => {
    assert.equal((await g.admin('/v1/sources/nope/secret')).status, 404);
    assert.equal((await g.admin('/v1/sources/%20bad/secret')).status, 400);
    assert.equal((await fetch(`${g.url}/v1/sources/net/secret`)).status, 401);
  });
});

describe('GET /v1/links', () => {
  it('lists each link with its click URL on the public host', async () => {
    const r = await g.admin('/v1/links');
    assert.deepEqual(r.body, {
      links: [
        { id: 'demo', offer_url: 'https://offer.example.com/lp', description: 'Demo offer', click_url: 'https://gw.example.com/c/demo' },
        { id: 'plain', offer_url: 'https://offer.example.com/2', description: null, click_url: 'https://gw.example.com/c/plain' },
      ],
    });
  });
});

describe('POST /v1/sources/:id/sample', () => {
  it('fires a real postback through the intake: stored, and matched when the click id is a stored click', async () => {
    const clickId = await g.click('demo');
    const r = await g.admin('/v1/sources/net/sample', { method: 'POST', body: JSON.stringify({ click_id: clickId, payout: '2.50', tx_id: 'sample-tx-1' }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.matched, true);
    assert.equal(r.body.duplicate, false);
    const stored = await g.admin(`/v1/conversions/${r.body.conversion_id}`);
    assert.equal(stored.body.transaction_id, 'sample-tx-1');
    assert.equal(stored.body.payout, '2.50');
    assert.equal(stored.body.source, 'net');
    const again = await g.admin('/v1/sources/net/sample', {
      method: 'POST',
      body: JSON.stringify({ click_id: clickId, payout: '2.50', tx_id: 'sample-tx-1' }),
    });
    assert.equal(again.body.duplicate, true);
  });

  it('without a body: a fresh unmatched sample with a warning', async () => {
    const r = await g.admin('/v1/sources/net/sample', { method: 'POST' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.matched, false);
    assert.ok(r.body.warnings.length > 0);
  });

  it("answers the intake's own refusals: a bad payout (400), the source's IP allow-list (403)", async () => {
    const bad = await g.admin('/v1/sources/net/sample', { method: 'POST', body: JSON.stringify({ payout: '12,50' }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_POSTBACK');
    const ip = await g.admin('/v1/sources/direct/sample', { method: 'POST', body: '{}' });
    assert.equal(ip.status, 403);
    assert.equal(ip.body.error.code, 'IP_NOT_ALLOWED');
  });

  it('refuses unknown body fields and unknown sources', async () => {
    assert.equal((await g.admin('/v1/sources/net/sample', { method: 'POST', body: JSON.stringify({ amount: 1 }) })).status, 400);
    assert.equal((await g.admin('/v1/sources/nope/sample', { method: 'POST', body: '{}' })).status, 404);
  });
});
