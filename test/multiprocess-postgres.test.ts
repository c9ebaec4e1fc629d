import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createClient } from '@redis/client';
import pg from 'pg';
import { BASE_EVENT } from '../src/conversions/conversion';
import { dedupKey } from '../src/conversions/routing';
import { TEST_ENGINE, TEST_POSTGRES_URL } from './helpers/engine';
import {
  freePort,
  sleep,
  startGatewayProcess,
  startSlowDestination,
  writeSharedPostgresConfig,
  type GatewayProcess,
  type Reception,
} from './helpers/processes';

/**
 * Issue 9's proof: three gateway processes on one Postgres (and one Redis click store), postbacks
 * spread across them with repeats of the same transaction ids sent to different processes, a slow
 * (50 ms) sometimes failing destination, and one process killed with SIGKILL mid-run (the moment
 * the destination answered one of its sends) and restarted. Each process sends to its own URL path
 * (same destination id), so the fake knows who sent what and the double-send check is exact. Runs in `npm run test:postgres` (CLOSELOOP_MP_POSTBACKS sets the count; default 3,000
 * so it finishes in about a minute on a loaded two-core machine — the issue's 10,000 also pass).
 */
const POSTBACKS = Number(process.env.CLOSELOOP_MP_POSTBACKS ?? 3_000);
const ADMIN = 'mp-admin-token-0123456789';
const SECRET = 'mp-source-secret-0123456789';
const SOURCE = 'net';
const DESTINATION = 'tracker';
const LEASE_MS = 4_000;
const REDIS_URL = 'redis://127.0.0.1:6379';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('3 processes on one Postgres, kill -9 one mid-run: nothing lost, nothing doubled, each key once but the killed in-flight', {
  skip: TEST_ENGINE !== 'postgres' && 'runs with CLOSELOOP_TEST_ENGINE=postgres (npm run test:postgres)',
  timeout: 240_000,
}, async () => {
  // Set when the kill is due: called by the fake right after it answered a request.
  let killHook: ((r: Reception) => void) | null = null;
  const fake = await startSlowDestination({ delayMs: 50, failEvery: 7, onAnswered: (r) => killHook?.(r) });
  cleanups.push(() => fake.close());
  const { configPath, schema } = writeSharedPostgresConfig({
    tag: 'mp',
    cleanups,
    adminToken: ADMIN,
    poolSize: 6,
    storage: { clickStore: REDIS_URL },
    config: {
      // A short attribution window: the clicks leave the shared Redis by themselves too.
      clicks: { attributionWindowDays: 0.01 },
      // Few slots per process: the outbox backs up, so all three hold leases at any moment.
      delivery: { concurrency: 4, pollMs: 25, leaseMs: LEASE_MS, maxAttempts: 10, backoff: { baseMs: 30, maxMs: 300 } },
      log: { level: 'warn' },
      links: [{ id: 'demo', offerUrl: 'https://offer.example.com/lp' }],
      sources: [{ id: SOURCE, secret: SECRET, mode: 'tracked' }],
      destinations: [
        {
          id: DESTINATION,
          connector: 'http-postback',
          acceptUnmatched: true,
          settings: { url: `${fake.url}/\${CL_SENDER}/pb?key={dedup_key}&tx={transaction_id}` },
        },
      ],
      // The fake destination listens on 127.0.0.1 (the outbound guard refuses loopback by default).
      outbound: { allowPrivateTargets: ['127.0.0.1'] },
    },
  });

  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const procs: GatewayProcess[] = [];
  cleanups.push(async () => {
    for (const p of procs) if (!p.exit) p.proc.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  });
  // Same destination id, a URL path of its own per process (CL_SENDER in the config), so the
  // fake knows which process sent each request; the restarted victim gets yet another one.
  // The first start migrates; the others find the schema there (and would wait on the advisory lock).
  const started = await Promise.all(ports.map((port, i) => startGatewayProcess(configPath, port, 60_000, '/healthz', { CL_SENDER: `p${i}` })));
  procs.push(...started);

  // Clicks through the processes, into the shared Redis (namespaced keys, deleted afterwards).
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  cleanups.push(() => redis.quit());
  const clickIds: string[] = [];
  for (let i = 0; i < 60; i++) {
    const res = await fetch(`${procs[i % 3]?.base}/c/demo?gclid=mp-${i}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    clickIds.push(new URL(res.headers.get('location') as string).searchParams.get('sub5') as string);
  }
  const keyOf = [];
  for await (const batch of redis.scanIterator({ MATCH: `*${clickIds[0]}`, COUNT: 1000 })) keyOf.push(...(Array.isArray(batch) ? batch : [batch]));
  assert.equal(keyOf.length, 1, 'the click is in Redis');
  const keyPrefix = String(keyOf[0]).slice(0, -String(clickIds[0]).length);
  cleanups.push(() => redis.del(clickIds.map((id) => keyPrefix + id)));

  // The postbacks: 80 % new transactions, 20 % repeats of an earlier one, each repeat to another process.
  const distinct = Math.round(POSTBACKS * 0.8);
  const txs = Array.from({ length: distinct }, (_, i) => `mp-tx-${String(i).padStart(6, '0')}`);
  const plan: Array<{ tx: string; proc: number; click?: string }> = [];
  for (let i = 0; i < POSTBACKS; i++) {
    const fresh = i < distinct ? i : -1;
    const tx = fresh >= 0 ? (txs[fresh] as string) : (txs[Math.floor(Math.random() * distinct)] as string);
    const n = Number(tx.slice(6));
    plan.push({ tx, proc: fresh >= 0 ? n % 3 : (n + 1 + (i % 2)) % 3, ...(n < clickIds.length ? { click: clickIds[n] as string } : {}) });
  }
  // Repeats interleaved with the first sends, so some of them race their original across processes.
  for (let i = distinct; i < plan.length; i++) {
    const j = Math.floor(Math.random() * i);
    [plan[i], plan[j]] = [plan[j] as (typeof plan)[number], plan[i] as (typeof plan)[number]];
  }

  const answered = new Map<string, Array<{ duplicate: boolean; matched: boolean }>>();
  let lost = 0;
  let sent = 0;
  let killedAt: number | null = null;
  let inFlightAtKill = new Set<string>();
  let exitWall = 0;
  let cutByKill = 0;
  const KILL_AFTER = Math.round(POSTBACKS * 0.4);
  const victim = 1;

  async function send(item: (typeof plan)[number]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // A network re-sends to another process when one does not answer (the killed one).
      const p = procs[(item.proc + attempt) % 3] as GatewayProcess;
      try {
        const params = new URLSearchParams({ key: SECRET, tx_id: item.tx, payout: '2.50', ...(item.click ? { click_id: item.click } : {}) });
        const res = await fetch(`${p.base}/postback?${params}`);
        const body = (await res.json()) as { duplicate: boolean; matched: boolean };
        if (res.status !== 200) throw new Error(`answered ${res.status}: ${JSON.stringify(body)}`);
        const list = answered.get(item.tx) ?? [];
        list.push({ duplicate: body.duplicate, matched: body.matched });
        answered.set(item.tx, list);
        return;
      } catch (err) {
        if (attempt > 20) throw err;
        lost++;
        await sleep(20);
      }
    }
  }

  const t0 = Date.now();
  let next = 0;
  const restart = (async () => {
    while (sent < KILL_AFTER) await sleep(5);
    const p = procs[victim] as GatewayProcess;
    let openAtKill: Reception[] = [];
    // Kill the victim the moment the destination has answered one of its sends with 200 (in the
    // same tick): that success is on its way back and its record not committed, the case that
    // makes a key reach the destination twice. Its other open sends are cut mid-request.
    await new Promise<void>((resolve) => {
      const kill = () => {
        killHook = null;
        clearTimeout(timer);
        const now = Date.now();
        // Requests open now and ones answered within 1 s: what was in flight (for the log).
        inFlightAtKill = new Set([...fake.openKeys(), ...fake.receptions.filter((r) => r.end !== null && now - r.end < 1_000).map((r) => r.key)]);
        openAtKill = fake.receptions.filter((r) => r.end === null);
        p.proc.kill('SIGKILL');
        killedAt = now - t0;
        resolve();
      };
      const timer = setTimeout(kill, 5_000);
      killHook = (r) => {
        if (r.sender === `p${victim}` && r.status === 200) kill();
      };
    });
    await p.exited;
    await sleep(500);
    exitWall = Date.now();
    cutByKill = openAtKill.filter((r) => r.aborted).length;
    procs[victim] = await startGatewayProcess(configPath, p.port, 60_000, '/healthz', { CL_SENDER: `p${victim}-restarted` });
  })();
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < plan.length) {
        const item = plan[next++] as (typeof plan)[number];
        await send(item);
        sent++;
      }
    }),
  );
  await restart;
  const sendMs = Date.now() - t0;

  // Every answered transaction delivered: nothing pending in the shared outbox.
  const db = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
  await db.connect();
  cleanups.push(() => db.end());
  const one = async (sql: string) => Number(Object.values((await db.query(sql)).rows[0] as object)[0]);
  const deadline = Date.now() + 120_000;
  while ((await one(`SELECT COUNT(*) FROM deliveries WHERE status <> 'succeeded'`)) > 0 || (await one('SELECT COUNT(*) FROM deliveries')) < distinct) {
    assert.ok(
      Date.now() < deadline,
      `deliveries not settled: ${JSON.stringify((await db.query('SELECT status, COUNT(*) FROM deliveries GROUP BY status')).rows)}`,
    );
    await sleep(200);
  }
  const settleMs = Date.now() - t0;

  // Conversions = distinct transaction ids; one delivery each, under the key the engine derives.
  assert.equal(answered.size, distinct, 'every transaction was answered 200 at last');
  assert.equal(await one('SELECT COUNT(*) FROM conversions'), distinct, 'conversions = distinct transaction ids');
  assert.equal(await one('SELECT COUNT(*) FROM deliveries'), distinct, 'one delivery per conversion');
  const expected = (tx: string) => dedupKey({ source: SOURCE, transactionId: tx, event: BASE_EVENT }, DESTINATION);
  const { rows } = await db.query<{ transaction_id: string; dedup_key: string }>(
    'SELECT c.transaction_id, d.dedup_key FROM deliveries d JOIN conversions c ON c.id = d.conversion_id',
  );
  for (const r of rows) assert.equal(r.dedup_key, expected(r.transaction_id));

  // De-duplication across processes: at most one answer per transaction says "new" (the answer of
  // a postback committed by the killed process may have been lost with it), repeats say duplicate.
  let firstAnswerLost = 0;
  for (const [tx, list] of answered) {
    const fresh = list.filter((a) => !a.duplicate).length;
    assert.ok(fresh <= 1, `${tx} was answered as new ${fresh} times`);
    if (fresh === 0) firstAnswerLost++;
  }
  assert.ok(firstAnswerLost <= lost, `${firstAnswerLost} transactions never answered as new, ${lost} requests lost`);
  // Clicks taken by one process matched by another (the shared Redis click store).
  for (let n = 0; n < clickIds.length; n++)
    assert.ok(
      answered.get(txs[n] as string)?.every((a) => a.matched),
      `click of ${txs[n]} matched`,
    );

  // No two attempts of one delivery at once: not at the destination, not in the attempt records.
  assert.deepEqual(fake.overlaps, [], 'no key was being received twice at the same moment');
  const attempts = await db.query<{ delivery_id: string; started_at: string; duration_ms: number }>(
    'SELECT delivery_id, started_at, duration_ms FROM attempts ORDER BY delivery_id, started_at',
  );
  for (let i = 1; i < attempts.rows.length; i++) {
    const a = attempts.rows[i - 1] as (typeof attempts.rows)[number];
    const b = attempts.rows[i] as (typeof attempts.rows)[number];
    if (a.delivery_id === b.delivery_id) assert.ok(Number(b.started_at) >= Number(a.started_at) + a.duration_ms, `attempts of ${a.delivery_id} overlap`);
  }

  // The destination got each key once with success, except keys the killed process had sent and
  // not recorded: exactly those may reach it again, after the kill, from another process (its
  // lease expired). Every process has a URL path of its own, so this is checked per request, not
  // inferred from timing: any request of a key after that key's first success must follow a
  // success sent by the killed process, and come from someone else.
  const killed = `p${victim}`;
  const byKey = new Map<string, typeof fake.receptions>();
  for (const r of fake.receptions) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const okByKey = new Map<string, number>();
  const twice: string[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.start - b.start);
    const oks = list.filter((r) => r.status === 200 && !r.aborted);
    okByKey.set(key, oks.length);
    const first = oks[0];
    if (!first) continue;
    const later = list.filter((r) => r.start > first.start);
    if (later.length === 0) continue;
    twice.push(key);
    assert.equal(
      first.sender,
      killed,
      `key ${key} was sent again after ${first.sender} delivered it (${later.map((r) => `${r.sender} ${r.status}`).join(', ')}): a double send`,
    );
    // A request the victim wrote just before the SIGKILL can still be read by the fake after the
    // signal (it sat in the socket's buffer): the bound is half a second after the victim's exit.
    assert.ok(first.start <= exitWall, `key ${key}: the killed process's success came before it exited`);
    for (const r of later) assert.notEqual(r.sender, killed, `key ${key}: re-sent by the process that had delivered it`);
    assert.equal(oks.length, 2, `key ${key} succeeded ${oks.length} times`);
  }
  for (const tx of txs) assert.ok((okByKey.get(expected(tx)) ?? 0) >= 1, `${tx} was received by the destination`);
  const failed = fake.receptions.filter((r) => r.status === 503).length;

  for (const p of procs) p.proc.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  console.log(
    `multi-process: ${POSTBACKS} postbacks (${distinct} distinct tx) over 3 processes in ${sendMs} ms, all delivered at ${settleMs} ms; ` +
      `kill -9 at ${killedAt} ms: ${lost} requests re-sent to another process, ${firstAnswerLost} first answers lost; ` +
      `${inFlightAtKill.size} keys in flight at the kill, ${twice.length} delivered again after the killed process had delivered them (same key, none by anyone else), ${cutByKill} sends cut mid-request by the kill; ` +
      `${failed} destination 503s retried; ${fake.receptions.length} receptions; no overlapping attempts`,
  );
});
