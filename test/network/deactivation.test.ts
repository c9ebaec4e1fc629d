import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startFakePartner, type FakePartner } from '../fakes/partner';
import { seedClick, startNetworkGateway, type NetworkGateway } from './harness';

/** Seed 001: 5 retries make 1 failure; 10 consecutive failures within 72 h deactivate. */
const HOUR = 3_600_000;
let g: NetworkGateway;
let partner: FakePartner;

beforeEach(async () => {
  partner = await startFakePartner();
  g = await startNetworkGateway();
});
afterEach(async () => {
  await g.close();
  await partner.close();
});

async function setup(method: 'postback' | 'html' = 'postback') {
  const seeded = await seedClick(g);
  const fields =
    method === 'postback'
      ? { postback_url: `${partner.url}/pb?tx={transaction_id}` }
      : { delivery_method: 'html', html_code: '<img src="https://p.example/px?tx={transaction_id}">' };
  const pb = await g.postback({ level: 'global', partner_id: seeded.partner.id, ...fields });
  return { ...seeded, pb };
}

/** One more conversion on a fresh click, settled (dead or succeeded). */
async function fire(s: Awaited<ReturnType<typeof setup>>): Promise<string> {
  const click = await g.click({ offer_id: s.offer.id, partner_id: s.partner.id });
  const c = await g.convert({ transaction_id: click.transaction_id });
  const [d] = await g.settled(c.conversion_id);
  return d?.status ?? 'none';
}

const postback = async (id: number) => g.ok('GET', `/v1/network/postbacks/${id}`);

describe('failure and deactivation', () => {
  it('retries a failed attempt 5 times and records it as ONE failure', async () => {
    const s = await setup();
    partner.fail(503);
    assert.equal(await fire(s), 'dead');
    assert.equal(partner.requests.length, 6, '1 attempt + 5 retries');
    const p = await postback(s.pb.id);
    assert.equal(p.status, 'active');
    assert.equal(p.consecutive_failures, 1);
    const report = await g.ok('GET', `/v1/network/reports/postbacks?postback_id=${s.pb.id}&include=attempts`);
    assert.equal(report.rows.length, 1);
    assert.equal(report.rows[0].result, 'failure');
    assert.equal(report.rows[0].attempt_count, 6);
    assert.deepEqual(
      report.rows[0].attempts.map((a: { attempt: number }) => a.attempt),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(report.rows[0].debug.http_status, 503);
  });

  it("a manual retry of a dead partner postback gets the postback's budget (1 + 5), through the shared destination lookup", async () => {
    const s = await setup();
    partner.fail(503);
    const click = await g.click({ offer_id: s.offer.id, partner_id: s.partner.id });
    const c = await g.convert({ transaction_id: click.transaction_id });
    const [dead] = await g.settled(c.conversion_id);
    assert.equal(dead?.status, 'dead');
    const retried = await g.api('POST', `/v1/deliveries/${dead?.id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.max_attempts, 6 + 6, 'six more attempts, not delivery.maxAttempts');
    // The admin resume route knows partner-postback destinations too (404 only for unknown ids).
    assert.equal((await g.api('POST', `/v1/destinations/${retried.body.destination}/resume`)).status, 200);
    assert.equal((await g.api('POST', '/v1/destinations/pp-999999/resume')).status, 404);
  });

  it('a 4xx and a reset socket are failures too; a 204 is a success', async () => {
    const s = await setup();
    partner.next({ status: 404 }, 'reset', { status: 400 }, { status: 302 }, { status: 410 });
    partner.ok(204);
    assert.equal(await fire(s), 'succeeded');
    assert.equal(partner.requests.length, 6);
    assert.equal((await postback(s.pb.id)).consecutive_failures, 0);
  });

  it('deactivates after 10 consecutive failures within 72 h, logs an error line, skips, and re-enables with replay', async () => {
    const s = await setup();
    partner.fail(500);
    for (let i = 0; i < 9; i++) {
      assert.equal(await fire(s), 'dead');
      g.clock.advance(7 * HOUR); // 9 × 7 h = 63 h: the 10 failures span < 72 h
    }
    assert.equal((await postback(s.pb.id)).status, 'active');
    assert.equal(await fire(s), 'dead');
    const p = await g.until(async () => {
      const v = await postback(s.pb.id);
      return v.status === 'deactivated' ? v : undefined;
    }, 'deactivation');
    assert.match(p.deactivated_reason, /10 consecutive failures within 72 h/);
    assert.equal(typeof p.deactivated_at, 'number');
    const line = g.logs.find((l) => l.msg === 'partner postback deactivated');
    assert.ok(line, 'an error line is logged');
    assert.equal(line.level, 50);
    assert.equal(line.postback, s.pb.id);

    // While deactivated, a new conversion is kept as `skipped` and nothing is sent.
    const before = partner.requests.length;
    partner.ok();
    const click = await g.click({ offer_id: s.offer.id, partner_id: s.partner.id });
    const c = await g.convert({ transaction_id: click.transaction_id });
    assert.deepEqual(
      c.deliveries.map((d: { status: string }) => d.status),
      ['skipped'],
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(partner.requests.length, before);

    // Manual re-enable with replay of what was skipped.
    const enabled = await g.ok('POST', `/v1/network/postbacks/${s.pb.id}/enable`, { replay_skipped: true });
    assert.equal(enabled.postback.status, 'active');
    assert.equal(enabled.replayed, 1);
    assert.equal(enabled.postback.consecutive_failures, 0);
    assert.equal(enabled.postback.deactivated_reason, null);
    await g.until(async () => (await g.ok('GET', `/v1/network/conversions/${c.conversion_id}`)).deliveries[0].status === 'succeeded', 'the replay');
    assert.equal(partner.requests.length, before + 1);
  });

  it('stays active after 9 failures then a success (the success resets the streak)', async () => {
    const s = await setup();
    partner.fail(500);
    for (let i = 0; i < 9; i++) assert.equal(await fire(s), 'dead');
    // The streak is written just after the delivery's record (a commit of its own): wait for it.
    const streakOf = (n: number) => g.until(async () => (await postback(s.pb.id)).consecutive_failures === n, `a streak of ${n}`);
    await streakOf(9);
    partner.ok();
    assert.equal(await fire(s), 'succeeded');
    partner.fail(500);
    for (let i = 0; i < 9; i++) assert.equal(await fire(s), 'dead');
    await streakOf(9);
    const p = await postback(s.pb.id);
    assert.equal(p.status, 'active');
    assert.equal(p.consecutive_failures, 9);
  });

  it('stays active after 10 failures spread over more than 72 h', async () => {
    const s = await setup();
    partner.fail(500);
    for (let i = 0; i < 12; i++) {
      assert.equal(await fire(s), 'dead');
      g.clock.advance(8.5 * HOUR); // any 10 in a row span 9 × 8.5 h = 76.5 h > 72 h
    }
    const p = await postback(s.pb.id);
    assert.equal(p.status, 'active');
    assert.equal(p.consecutive_failures, 10, 'only the newest 10 are kept');
  });

  it('uses a sliding window: 1 old failure, a quiet 71 h, then 9 quick ones deactivate', async () => {
    const s = await setup();
    partner.fail(500);
    assert.equal(await fire(s), 'dead');
    g.clock.advance(71 * HOUR);
    for (let i = 0; i < 9; i++) assert.equal(await fire(s), 'dead');
    await g.until(async () => (await postback(s.pb.id)).status === 'deactivated', 'deactivation');
  });

  it('never deactivates an HTML pixel: it is rendered, never sent', async () => {
    const s = await setup('html');
    partner.fail(500);
    for (let i = 0; i < 12; i++) {
      const click = await g.click({ offer_id: s.offer.id, partner_id: s.partner.id, sub1: '<b>&' });
      const c = await g.convert({ transaction_id: click.transaction_id });
      assert.deepEqual(c.deliveries, [], 'no server delivery for an HTML pixel');
      assert.equal(c.html_pixels.length, 1);
      assert.equal(c.html_pixels[0].html, `<img src="https://p.example/px?tx=${click.transaction_id}">`);
    }
    const p = await postback(s.pb.id);
    assert.equal(p.status, 'active');
    assert.equal(p.consecutive_failures, 0);
    assert.equal(partner.requests.length, 0);
  });
});
