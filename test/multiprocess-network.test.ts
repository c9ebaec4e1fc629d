import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { TEST_ENGINE, TEST_POSTGRES_URL } from './helpers/engine';
import { freePort, sleep, startGatewayProcess, startSlowDestination, writeSharedPostgresConfig, type GatewayProcess } from './helpers/processes';

/**
 * The network dispatcher on three processes sharing Postgres: failures of ONE partner postback
 * recorded by several processes at the same moment all count (the streak is read FOR UPDATE), and
 * the postback is deactivated exactly at the 10th consecutive failure — not at the 9th, even with
 * one process killed with SIGKILL while its sends were in flight and restarted.
 */
const ADMIN = 'mpn-admin-token-0123456789';
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('partner postback failures from 3 processes: deactivated exactly at the 10th, across a kill -9', {
  skip: TEST_ENGINE !== 'postgres' && 'runs with CLOSELOOP_TEST_ENGINE=postgres (npm run test:postgres)',
  timeout: 180_000,
}, async () => {
  // The partner fails every request, slowly: the sends of all three processes overlap.
  const partner = await startSlowDestination({ delayMs: 300, failEvery: 1 });
  cleanups.push(() => partner.close());
  const { configPath, schema } = writeSharedPostgresConfig({
    tag: 'mpn',
    cleanups,
    adminToken: ADMIN,
    poolSize: 4,
    config: {
      delivery: { concurrency: 8, pollMs: 20, leaseMs: 3_000, maxAttempts: 3, backoff: { baseMs: 20, maxMs: 40 } },
      log: { level: 'warn' },
      network: { retries: 1, timeoutMs: 2_000, refreshMs: 200 },
      outbound: { allowPrivateTargets: ['127.0.0.1'] },
    },
  });
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const procs: GatewayProcess[] = await Promise.all(ports.map((port) => startGatewayProcess(configPath, port)));
  cleanups.push(async () => {
    for (const p of procs) if (!p.exit) p.proc.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  });
  const api = async (p: GatewayProcess, method: string, path: string, body?: unknown) => {
    const res = await fetch(p.base + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as any;
    assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const at = (i: number) => procs[i % 3] as GatewayProcess;

  const offer = await api(at(0), 'POST', '/v1/network/offers', { name: 'Offer', payout_amount: '3' });
  const partnerRow = await api(at(1), 'POST', '/v1/network/partners', { name: 'Partner' });
  const pb = await api(at(2), 'POST', '/v1/network/postbacks', {
    level: 'global',
    partner_id: partnerRow.id,
    postback_url: `${partner.url}/pb?key=k&tx={transaction_id}`,
  });
  await sleep(400); // every process's directory has the new postback (refreshMs 200)

  async function convert(i: number): Promise<void> {
    const click = await api(at(i), 'POST', '/v1/network/clicks', { offer_id: offer.id, partner_id: partnerRow.id });
    await api(at(i + 1), 'POST', '/v1/network/conversions', { transaction_id: click.transaction_id });
  }
  const db = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
  await db.connect();
  cleanups.push(() => db.end());
  const dead = async () =>
    Number((await db.query(`SELECT COUNT(*) AS n FROM deliveries WHERE destination_id = $1 AND status = 'dead'`, [`pp-${pb.id}`])).rows[0].n);
  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await sleep(50);
    }
  };

  // Nine failures at once, fired through all three processes; one process dies mid-send.
  await Promise.all(Array.from({ length: 9 }, (_, i) => convert(i)));
  await until('sends in flight', async () => partner.openKeys().length > 0);
  const victim = procs[2] as GatewayProcess;
  victim.proc.kill('SIGKILL');
  await victim.exited;
  procs[2] = await startGatewayProcess(configPath, victim.port);
  await until('nine dead partner deliveries', async () => (await dead()) === 9);
  await sleep(300); // the streak write follows the attempt's record
  const nine = await api(at(1), 'GET', `/v1/network/postbacks/${pb.id}`);
  assert.equal(nine.status, 'active', 'not deactivated at the 9th failure');
  assert.equal(nine.consecutive_failures, 9, 'all nine concurrent failures counted, none lost to a race');

  // The tenth, through yet another process.
  await convert(10);
  await until('the tenth dead delivery', async () => (await dead()) === 10);
  await until('deactivation', async () => (await api(at(0), 'GET', `/v1/network/postbacks/${pb.id}`)).status === 'deactivated');
  const ten = await api(at(2), 'GET', `/v1/network/postbacks/${pb.id}`);
  assert.match(String(ten.deactivated_reason), /10/);
  const attemptsAtPartner = partner.receptions.length;
  for (const p of procs) p.proc.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  console.log(
    `network multi-process: 9 concurrent failures from 3 processes (one killed mid-send) → active with 9; the 10th → deactivated ("${ten.deactivated_reason}"); ${attemptsAtPartner} requests at the partner`,
  );
});
