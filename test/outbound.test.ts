import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WEBHOOK_SECRET } from '../connectors/webhook/fixtures';
import { ConfigError } from '../src/config';
import { openGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { startTestGateway, testConfig, waitForDeliveries, type TestGateway } from './helpers/gateway';
import { startFakePartner } from './fakes/partner';
import { seedClick, startNetworkGateway } from './network/harness';

/** Boots a gateway (no workers) and returns the error it refused to start with, or its warnings. */
function boot(overrides: Record<string, unknown>): { error: Error | null; warnings: string[] } {
  const warnings: string[] = [];
  const logger = createLogger('warn', {
    write: (line: string) => {
      const entry = JSON.parse(line) as { msg: string; level: number };
      if (entry.level === 40) warnings.push(entry.msg);
    },
  });
  try {
    const gw = openGateway({ config: testConfig(overrides), logger, startWorkers: false });
    void gw.close();
    return { error: null, warnings };
  } catch (err) {
    return { error: err as Error, warnings };
  }
}

const postback = (id: string, url: string) => ({ id, connector: 'http-postback', settings: { url } });

describe('configured destinations aimed at our own network stop the boot (issue 7 item 8)', () => {
  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a private http-postback URL',
      { destinations: [postback('crm', 'http://10.0.0.5/pb?cid={click_id}')] },
      /destination "crm" settings\.url: refused, 10\.0\.0\.5 is a private address/,
    ],
    [
      'the metadata address, even with everything allow-listed',
      { outbound: { allowPrivateTargets: ['0.0.0.0/0', '::/0'] }, destinations: [postback('m', 'http://169.254.169.254/latest/meta-data/')] },
      /destination "m" settings\.url: refused, 169\.254\.169\.254 is a cloud metadata address/,
    ],
    ['metadata in decimal', { destinations: [postback('d', 'http://2852039166/')] }, /destination "d".*metadata/],
    ['metadata in 6to4', { destinations: [postback('six', 'http://[2002:a9fe:a9fe::]/')] }, /destination "six".*6to4.*169\.254\.169\.254/],
    [
      'localhost when not allow-listed',
      { destinations: [postback('lh', 'http://localhost:9/pb')] },
      /destination "lh" settings\.url: refused, localhost is this machine/,
    ],
    [
      'a webhook to ::1',
      { destinations: [{ id: 'wh', connector: 'webhook', settings: { url: 'http://[::1]:9/h' }, credentials: { secret: WEBHOOK_SECRET } }] },
      /destination "wh" settings\.url: refused, ::1 is a loopback address/,
    ],
    [
      'a platform base URL',
      {
        destinations: [
          {
            id: 'tt',
            connector: 'tiktok',
            settings: { pixelCode: 'CXXXXXXXXXXXXXXXXXXX', baseUrl: 'http://192.168.1.10' },
            credentials: { accessToken: 'tok-0123456789abcdef' },
          },
        ],
      },
      /destination "tt" settings\.baseUrl: refused, 192\.168\.1\.10/,
    ],
    [
      'a network webhook',
      { network: { webhooks: [{ id: 'ops', url: 'http://172.16.0.9/h', secret: WEBHOOK_SECRET, events: ['postback.deactivated'] }] } },
      /network webhook "ops" network\.webhooks\[0\]\.url: refused, 172\.16\.0\.9/,
    ],
  ];
  for (const [name, overrides, message] of refused) {
    it(`refuses ${name}`, () => {
      const { error } = boot(overrides);
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /meta-data|cid=/, 'names the host, never the whole URL');
    });
  }

  it('lets listed private targets through, and public or templated hosts', () => {
    const { error } = boot({
      outbound: { allowPrivateTargets: ['10.0.0.0/8', 'localhost'] },
      destinations: [
        postback('a', 'http://10.0.0.5/pb'),
        postback('b', 'http://localhost:9/pb'),
        postback('c', 'https://t.example/pb'),
        postback('d', 'http://{sub1}.example/pb'),
      ],
    });
    assert.equal(error, null);
  });

  it('refuses an allow-list entry that is not a CIDR, address or host name', () => {
    assert.throws(
      () => testConfig({ outbound: { allowPrivateTargets: ['10.0.0.0/40'] } }),
      /outbound\.allowPrivateTargets\.0: "10\.0\.0\.0\/40" is not a valid CIDR/,
    );
  });

  it('keeps network.allowPrivateTargets as a deprecated alias, with a warning', () => {
    const { error, warnings } = boot({
      outbound: { allowPrivateTargets: [] },
      network: { allowPrivateTargets: ['10.0.0.0/8'] },
      destinations: [postback('a', 'http://10.1.2.3/pb')],
    });
    assert.equal(error, null, 'the alias opens configured destinations too');
    assert.ok(
      warnings.some((w) => /network\.allowPrivateTargets is deprecated.*outbound\.allowPrivateTargets/.test(w)),
      warnings.join('\n'),
    );
  });
});

describe('a credential pasted into settings.url (issue 7 item 10)', () => {
  it('warns at boot, naming the destination and parameter, never the value', () => {
    const { error, warnings } = boot({ destinations: [postback('trk', 'https://t.example/pb?cid={click_id}&api_key=pasted-secret-123&k={dedup_key}')] });
    assert.equal(error, null);
    const w = warnings.filter((x) => /credential/.test(x));
    assert.equal(w.length, 1, warnings.join('\n'));
    assert.match(
      w[0] as string,
      /destination "trk" settings\.url: the query parameter "api_key" looks like a credential; move it to the destination's credentials/,
    );
    assert.doesNotMatch(warnings.join('\n'), /pasted-secret-123/);
  });
});

describe('attempts of a delivery (issue 7 items 9, 10)', () => {
  let fake: FakeServer;
  let g: TestGateway;
  before(async () => {
    fake = await startFakeServer((req) =>
      req.path === '/moved'
        ? { status: 302, headers: { location: 'https://new.example/pb?token=pasted-token-456' } }
        : { status: 500, body: 'echo pasted-token-456' },
    );
    g = await startTestGateway({
      configOverrides: {
        destinations: [
          { ...postback('pasted', `${fake.url}/pb?cid={click_id}&token=pasted-token-456`), maxAttempts: 1 },
          postback('moved', `${fake.url}/moved?cid={click_id}&token=pasted-token-456`),
        ],
      },
    });
  });
  after(async () => {
    await g.close();
    await fake.close();
  });

  it('redact a pasted credential from the request, the response and the error; a 3xx records its Location and pauses', async () => {
    const clickId = await g.click('demo', {});
    const res = await g.postback({ click_id: clickId, payout: '1', tx_id: 'tx-outbound-1' });
    assert.equal(res.status, 200);
    await fake.waitFor(2);
    assert.ok(
      fake.requests.some((r) => r.query.get('token') === 'pasted-token-456'),
      'the receiver still gets its token',
    );
    const detail = await g.admin(`/v1/conversions/${res.body.conversion_id}`).then(async (first) => {
      const deadline = Date.now() + 5_000;
      let d = first.body;
      while (!d.deliveries.every((x: { attempts: unknown[] }) => x.attempts.length > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 30));
        d = (await g.admin(`/v1/conversions/${res.body.conversion_id}`)).body;
      }
      return d;
    });
    const text = JSON.stringify(detail);
    assert.doesNotMatch(text, /pasted-token-456/, 'the token appears nowhere in the API answer');
    const pasted = detail.deliveries.find((d: { destination_id?: string; destination?: string }) => (d.destination_id ?? d.destination) === 'pasted');
    assert.match(pasted.attempts[0].request.url, /token=\[redacted\]/);
    assert.match(pasted.attempts[0].response_body, /echo \[redacted\]/);
    const moved = detail.deliveries.find((d: { destination_id?: string; destination?: string }) => (d.destination_id ?? d.destination) === 'moved');
    const a = moved.attempts[0];
    assert.equal(a.response_status, 302);
    assert.equal(a.error_kind, 'config');
    assert.equal(a.next_step, 'paused');
    assert.equal(a.note, 'Location: https://new.example/pb?token=[redacted]');
    assert.match(a.error_message, /redirect to https:\/\/new\.example\/pb\?token=\[redacted\], not followed/);
  });
});

describe('a refused target at send time is a config failure, not transient (issue 7 item 9)', () => {
  it('pauses the destination after one attempt, without retries', async () => {
    // A name that resolves to loopback, not allow-listed: only the connect-time check can see it.
    const g = await startTestGateway({ configOverrides: { outbound: { allowPrivateTargets: [] }, destinations: [postback('lh', 'http://{sub1}:9/pb')] } });
    try {
      const clickId = await g.click('demo', { sub1: 'localhost' });
      const res = await g.postback({ click_id: clickId, payout: '1', tx_id: 'tx-outbound-2' });
      const detail = await waitForDeliveries(g, res.body.conversion_id, 'pending').then(async () => {
        const deadline = Date.now() + 5_000;
        for (;;) {
          const d = (await g.admin(`/v1/conversions/${res.body.conversion_id}`)).body;
          if (d.deliveries[0].attempts.length > 0 || Date.now() > deadline) return d;
          await new Promise((r) => setTimeout(r, 30));
        }
      });
      await new Promise((r) => setTimeout(r, 150)); // backoff here is 10–50 ms: a retry would have come
      const again = (await g.admin(`/v1/conversions/${res.body.conversion_id}`)).body;
      const a = detail.deliveries[0].attempts[0];
      assert.equal(a.error_kind, 'config');
      assert.equal(a.platform_code, 'BLOCKED_TARGET');
      assert.equal(a.next_step, 'paused');
      assert.match(a.error_message, /localhost resolves to .*loopback/);
      assert.equal(again.deliveries[0].attempts.length, 1);
      const dest = (await g.admin('/v1/destinations')).body;
      assert.match(JSON.stringify(dest), /paused/);
    } finally {
      await g.close();
    }
  });
});

describe('a token in a partner postback URL (issue 7 item 10)', () => {
  it('reaches the partner but is redacted from the report and the test tool', async () => {
    const partner = await startFakePartner({ status: 500, body: 'bad token partner-token-789' });
    const g = await startNetworkGateway({ network: { retries: 0 } });
    try {
      const { offer, partner: p, transactionId } = await seedClick(g);
      const pb = await g.postback({
        level: 'specific',
        partner_id: p.id,
        offer_id: offer.id,
        postback_url: `${partner.url}/pb?token=partner-token-789&tx={transaction_id}`,
      });
      const c = await g.convert({ transaction_id: transactionId });
      await g.settled(c.conversion_id);
      assert.equal(partner.on('/pb')[0]?.query.get('token'), 'partner-token-789');
      const report = await g.ok('GET', `/v1/network/reports/postbacks?offer_id=${offer.id}&attempts=true`);
      const tool = await g.ok('POST', `/v1/network/postbacks/${pb.id}/test`, { params: {} });
      for (const answer of [report, tool]) assert.doesNotMatch(JSON.stringify(answer), /partner-token-789/);
      assert.match(report.rows[0].debug.url, /token=\[redacted\]&tx=/);
      assert.match(tool.debug.url, /token=\[redacted\]/);
      assert.match(tool.debug.response_body, /bad token \[redacted\]/);
    } finally {
      await g.close();
      await partner.close();
    }
  });
});
