import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../src/config';
import { openGateway } from '../../src/gateway';
import { newId } from '../../src/ids';
import { createLogger } from '../../src/logger';
import { startServer, type ChildServer } from '../lib/child';
import type { ServerStats } from '../lib/child-side';
import { fmtMs, fmtPct, fmtRps, fmtUs, table, verdict } from '../lib/format';
import { fire, percentile, type LoadSpec } from '../lib/load';
import { machineUse, snapshot } from '../lib/machine';
import { BENCH_PG_CONN, benchSchema, countRows, postgresCpu, type BenchEngine } from '../lib/pg-bench';
import { interleave, med } from '../lib/rounds';
import { progress, settings } from '../lib/settings';
import { intakeSpec, redirectSpec, storeClick } from '../lib/workloads';

/**
 * Issue 9: the Postgres engine per process against the embedded SQLite engine in the same run
 * (intake with the conversion + outbox write, the click redirect, the delivery engine draining
 * its outbox), and two gateway processes against one on one Postgres schema. Issue 12's target:
 * Postgres intake per process ≥ 50 % of embedded. Each Postgres run has a schema of its own,
 * dropped after it.
 */
const INTAKE_TARGET = 0.5;
const DISPATCH_N = Number(process.env.BENCH_PG_DISPATCH_N ?? 5_000);
const gatewayScript = new URL('../servers/gateway.ts', import.meta.url);

interface Run {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  /** Gateway CPU (all its processes) per expected answer. */
  cpuUs: number;
  /** Every postgres process's CPU per expected answer (0 on SQLite). */
  pgCpuUs: number;
  otherPct: number;
  stats: ServerStats[];
  /** Rows written in the measured window (the children's counters on SQLite, counted in the schema on Postgres). */
  rows: { conversions: number; deliveries: number; kv: number };
}

type Work = 'intake' | 'redirect';

/** Starts `processes` gateway children on `engine` (sharing one schema on Postgres), warms up, measures them together, stops them. */
async function once(engine: BenchEngine, work: Work, processes = 1): Promise<Run> {
  const pg = engine === 'postgres' ? benchSchema('gw') : null;
  const env: Record<string, string> = {
    BENCH_GATEWAY_VARIANT: 'held-outbox',
    BENCH_ENGINE: engine,
    ...(pg ? { BENCH_PG_SCHEMA: pg.schema, ...(process.env.BENCH_PG_POOL ? { BENCH_PG_POOL: process.env.BENCH_PG_POOL } : {}) } : {}),
  };
  const servers: ChildServer[] = [];
  try {
    // One after the other: the first migrates the fresh schema.
    for (let i = 0; i < processes; i++) servers.push(await startServer(gatewayScript, { label: `${engine} ${work} #${i + 1}`, env }));
    // The click is stored through the first process; on Postgres the others find it in the shared kv table.
    const click = work === 'intake' ? await storeClick(servers[0] as ChildServer) : undefined;
    const specs = servers.map(() => (work === 'intake' ? intakeSpec(click) : redirectSpec()));
    return await measureTogether(servers, specs, pg?.schema ?? null);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await pg?.drop();
  }
}

const TABLES = ['conversions', 'deliveries', 'kv'] as const;

async function measureTogether(servers: ChildServer[], specs: LoadSpec[], schema: string | null): Promise<Run> {
  const connections = Math.max(1, Math.round(settings.connections / servers.length));
  await Promise.all(servers.map((s, i) => fire(s.url, specs[i] as LoadSpec, settings.warmupS, connections)));
  const rows0 = schema ? await countRows(schema, TABLES) : null;
  for (const s of servers) await s.mark();
  const pgCpu = schema ? await postgresCpu() : null;
  const before = snapshot();
  const runs = await Promise.all(servers.map((s, i) => fire(s.url, specs[i] as LoadSpec, settings.durationS, connections)));
  const pgMs = pgCpu?.stop() ?? 0;
  const after = snapshot();
  const stats = await Promise.all(servers.map((s) => s.stats()));
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const cpuMs = stats.reduce((n, s) => n + s.cpuMs, 0);
  const seconds = Math.max(...runs.map((r) => r.durationS));
  const latencies = Float64Array.from(runs.flatMap((r) => [...r.latencies])).sort();
  let rows: Run['rows'];
  if (schema && rows0) {
    await new Promise((r) => setTimeout(r, 300)); // answers still in flight when autocannon stopped
    const rows1 = await countRows(schema, TABLES);
    rows = { conversions: rows1.conversions - rows0.conversions, deliveries: rows1.deliveries - rows0.deliveries, kv: rows1.kv - rows0.kv };
  } else {
    const x = (k: string) => stats.reduce((n, s) => n + Number(s.extra[k] ?? 0), 0);
    rows = { conversions: x('conversionRows'), deliveries: x('deliveryRows'), kv: x('kvRows') };
  }
  const machine = machineUse(before, after, cpuMs);
  return {
    rps: ok / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ok,
    bad: runs.reduce((n, r) => n + r.bad, 0),
    cpuUs: (cpuMs * 1000) / ok,
    pgCpuUs: schema ? (pgMs * 1000) / ok : 0,
    // Postgres's own CPU is counted apart, not as "other".
    otherPct: machine ? Math.max(0, machine.otherPct + machine.stealPct - (100 * pgMs) / (1000 * seconds)) : NaN,
    stats,
    rows,
  };
}

/** The rows of the measured window must match the 200s (conversion + outbox row each) or the 302s (a kv row each). */
function checkRows(label: string, work: Work, r: Run): void {
  const slack = 2 * settings.connections;
  const want = work === 'intake' ? ([r.rows.conversions, r.rows.deliveries] as const) : ([r.rows.kv, r.rows.kv] as const);
  for (const n of want) if (n < r.ok || n > r.ok + slack) throw new Error(`${label}: ${r.ok} answers but rows ${JSON.stringify(r.rows)}`);
  if (r.bad > 0) throw new Error(`${label}: ${r.bad} unexpected answers`);
}

/** The delivery engine in this process draining DISPATCH_N outbox rows of a static http-postback destination to the sink child. */
async function dispatch(engine: BenchEngine, sink: ChildServer, analyze = false): Promise<{ rps: number; cpuUs: number; pgCpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-pg-dispatch-'));
  const pg = engine === 'postgres' ? benchSchema('dispatch') : null;
  const config = parseConfig({
    admin: { token: 'bench-admin-token-0123456789' },
    storage: pg
      ? {
          engine: 'postgres',
          clickStore: 'postgres',
          postgres: { url: BENCH_PG_CONN, schema: pg.schema },
        }
      : { sqlitePath: join(dir, 'dispatch.db'), synchronous: 'FULL' },
    log: { level: 'silent' },
    delivery: { concurrency: 32 },
    outbound: { allowPrivateTargets: ['127.0.0.1'] },
    destinations: [{ id: 'tracker', connector: 'http-postback', settings: { url: `${sink.url}/pb?tx={transaction_id}&p={payout}` } }],
  });
  const gw = openGateway({ config, logger: createLogger('silent'), startWorkers: false });
  try {
    await gw.ready;
    for (let i = 0; i < DISPATCH_N; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, DISPATCH_N - i) }, () => {
          const id = newId();
          const at = Date.now();
          const conversion = {
            ...{ id, source: 'bench', transactionId: id, event: 'conversion', status: 'approved' as const, payout: '12.5', currency: 'USD' },
            ...{ offerId: '1', clickId: null, matched: true, click: null, params: { sub1: 'camp' }, receivedAt: at, updatedAt: at },
          };
          const route = () => [{ destinationId: 'tracker', connector: 'http-postback', dedupKey: id, maxAttempts: 6 }];
          return gw.ledger.recordPostback({ conversion, route }, at);
        }),
      );
    }
    // A table filled a moment ago has no statistics yet (autovacuum analyzes it within a minute or
    // so): the planner then takes the claim for a few rows and sorts every due row per claim.
    // https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-STATISTICS
    if (analyze) await gw.storage.postgres?.pool.query('ANALYZE deliveries');
    const pgCpu = pg ? await postgresCpu() : null;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    gw.engine.start();
    while (gw.engine.stats.succeeded < DISPATCH_N) {
      if (gw.engine.stats.failed > 0) throw new Error(`${engine} dispatch: ${gw.engine.stats.failed} attempts failed`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { rps: DISPATCH_N / seconds, cpuUs: (cpu.user + cpu.system) / DISPATCH_N, pgCpuUs: ((pgCpu?.stop() ?? 0) * 1000) / DISPATCH_N };
  } finally {
    await gw.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const row = (label: string, rs: Run[], ratio: string): Array<string | number> => [
  label,
  fmtRps(med(rs, (r) => r.rps)),
  fmtMs(med(rs, (r) => r.p50)),
  fmtMs(med(rs, (r) => r.p99)),
  fmtUs(med(rs, (r) => r.cpuUs)),
  fmtUs(med(rs, (r) => r.pgCpuUs)),
  `${Math.round(Math.max(...rs.map((r) => r.otherPct)))} %`,
  rs.map((r) => fmtRps(r.rps)).join(' / '),
  ratio,
];

export async function run(): Promise<{ name: string; lines: string[] }> {
  const L = {
    sqIntake: 'SQLite intake',
    pgIntake: 'Postgres intake',
    pgIntake2: 'Postgres intake, 2 processes',
    sqRedirect: 'SQLite redirect',
    pgRedirect: 'Postgres redirect',
  };
  const check = (label: string, work: Work, r: Run) => {
    checkRows(label, work, r);
    return r;
  };
  const runs = await interleave<Run>([
    { label: L.sqIntake, once: async () => check(L.sqIntake, 'intake', await once('sqlite', 'intake')) },
    { label: L.pgIntake, once: async () => check(L.pgIntake, 'intake', await once('postgres', 'intake')) },
    { label: L.pgIntake2, once: async () => check(L.pgIntake2, 'intake', await once('postgres', 'intake', 2)) },
    { label: L.sqRedirect, once: async () => check(L.sqRedirect, 'redirect', await once('sqlite', 'redirect')) },
    { label: L.pgRedirect, once: async () => check(L.pgRedirect, 'redirect', await once('postgres', 'redirect')) },
  ]);
  const get = (label: string) => runs.get(label) as Run[];
  const ratio = (a: string, b: string) => med(get(a), (r) => r.rps) / med(get(b), (r) => r.rps);
  const cpuRatio = (a: string, b: string) => med(get(b), (r) => r.cpuUs) / med(get(a), (r) => r.cpuUs);

  const sink = await startServer(new URL('../servers/sink.ts', import.meta.url), { label: 'sink' });
  let disp: Map<string, Array<{ rps: number; cpuUs: number; pgCpuUs: number }>>;
  try {
    progress(`postgres: dispatch of ${DISPATCH_N} deliveries per run`);
    disp = await interleave([
      { label: 'SQLite', once: () => dispatch('sqlite', sink) },
      { label: 'Postgres', once: () => dispatch('postgres', sink) },
      { label: 'Postgres, analyzed', once: () => dispatch('postgres', sink, true) },
    ]);
  } finally {
    await sink.stop();
  }
  const d = (label: string) => disp.get(label) as Array<{ rps: number; cpuUs: number; pgCpuUs: number }>;
  const intakeRatio = ratio(L.pgIntake, L.sqIntake);
  // Postbacks per commit: intake's writes of one event-loop turn are one job (step-ledger.ts recordMany).
  const commits = (rs: Run[]) =>
    rs
      .map((r) => {
        const s = r.stats[0] as ServerStats;
        const batches = Number(s.extra.batches);
        const p99 = Number(s.extra.batchMsP99 ?? s.extra.flushMsP99);
        const inFlight = s.extra.maxInFlight === undefined ? '' : `, up to ${s.extra.maxInFlight} in flight, ${s.extra.retries} re-run after a deadlock`;
        return `${fmtRps(batches)} commits, ${(r.rows.conversions / batches).toFixed(1)} postbacks/commit, commit p99 ${fmtMs(p99)} ms${inFlight}`;
      })
      .join('; ');

  return {
    name: `Postgres engine vs embedded SQLite: intake per process ${fmtPct(intakeRatio)} of SQLite (target ≥ ${fmtPct(INTAKE_TARGET)}) — ${verdict(intakeRatio >= INTAKE_TARGET)}`,
    lines: [
      `${settings.connections} connections (split evenly over the processes), ${settings.warmupS} s warm-up + ${settings.durationS} s measured, ${settings.rounds} interleaved rounds, medians.`,
      'Intake: held-outbox (conversion + outbox row per postback, unique tx_id, a stored click). Redirect: a kv click row per 302.',
      'SQLite: synchronous=FULL (WAL fdatasync per group commit). Postgres 15 on 127.0.0.1, synchronous_commit=on (WAL flush per COMMIT), a schema of its own per run,',
      `pool ${process.env.BENCH_PG_POOL ?? 10}, ${process.env.BENCH_PG_INFLIGHT ?? 'default (2)'} group commits in flight per process.`,
      '',
      ...table(
        ['run', 'req/s', 'p50 ms', 'p99 ms', 'gateway CPU µs/req', 'postgres CPU µs/req', 'other CPU (max)', 'req/s per round', 'ratio'],
        [
          row('SQLite intake, 1 process', get(L.sqIntake), '100 %'),
          row('Postgres intake, 1 process', get(L.pgIntake), fmtPct(intakeRatio)),
          row('Postgres intake, 2 processes (same core)', get(L.pgIntake2), `${fmtPct(ratio(L.pgIntake2, L.pgIntake))} of 1 process`),
          row('SQLite redirect, 1 process', get(L.sqRedirect), '100 %'),
          row('Postgres redirect, 1 process', get(L.pgRedirect), fmtPct(ratio(L.pgRedirect, L.sqRedirect))),
        ],
      ),
      '',
      `- **intake per process, Postgres vs SQLite: ${fmtPct(intakeRatio)}** (target ≥ ${fmtPct(INTAKE_TARGET)}): ${verdict(intakeRatio >= INTAKE_TARGET)}; gateway CPU-cost ratio ${fmtPct(cpuRatio(L.pgIntake, L.sqIntake))}`,
      `- redirect per process, Postgres vs SQLite: ${fmtPct(ratio(L.pgRedirect, L.sqRedirect))}; gateway CPU-cost ratio ${fmtPct(cpuRatio(L.pgRedirect, L.sqRedirect))}`,
      `- group commit per round, SQLite intake: ${commits(get(L.sqIntake))} (p99 of flush() on the event loop)`,
      `- group commit per round, Postgres intake: ${commits(get(L.pgIntake))} (p99 from taking a client to COMMIT's answer; the loop is free meanwhile)`,
      '',
      ...table(
        ['dispatch (engine → sink, 32 in flight)', 'deliveries/s', 'per round', 'gateway CPU µs/delivery', 'postgres CPU µs/delivery', 'ratio'],
        ['SQLite', 'Postgres', 'Postgres, analyzed'].map((label) => [
          label,
          fmtRps(med(d(label), (r) => r.rps)),
          d(label)
            .map((r) => fmtRps(r.rps))
            .join(' / '),
          fmtUs(med(d(label), (r) => r.cpuUs)),
          fmtUs(med(d(label), (r) => r.pgCpuUs)),
          label === 'SQLite' ? '100 %' : fmtPct(med(d(label), (r) => r.rps) / med(d('SQLite'), (r) => r.rps)),
        ]),
      ),
      '',
      `Dispatch: ${DISPATCH_N} outbox rows of a static http-postback destination, written first, then drained by the engine in the`,
      'bench process (cpu 0) to the node:http sink child (cpu 1); timed from engine start to the last recorded success.',
      '"Postgres": right after the fill, before autovacuum has analyzed the table (what a sudden backlog meets: the planner',
      'expects a few due rows, reads and sorts all of them per claim). "analyzed": ANALYZE deliveries after the fill (the claim',
      'walks deliveries_due in order and stops at its LIMIT: 0.07 ms instead of 30 ms per claim at 60,000 due rows).',
      '',
      '**What two cores can and cannot show.** Every gateway child is pinned to cpu 1 and the load generator to cpu 0; Postgres',
      'is not pinned and takes its CPU from both (its column is the CPU of the backends serving the run, found by application_name,',
      'plus the server\'s WAL writer and checkpointer). So "2 processes" gives two gateways the SAME core one process had: not',
      'scale-out, but the cost of coordination (two pools, lock waits on shared rows) at a constant CPU budget; above 100 % it',
      'shows that one process leaves its core idle while it waits for its commits. A real scale-out figure needs a core per',
      'gateway plus cores for Postgres and the load generator. What this machine can show: two processes on one schema lose',
      'nothing (rows = answers, checked every run), and what one request costs in gateway and Postgres CPU.',
    ],
  };
}
