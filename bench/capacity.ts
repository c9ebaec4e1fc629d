import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseConfig } from '../src/config';
import { openGateway, type Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { fmtRps, table } from './lib/format';
import { BENCH_PG_CONN, BENCH_PG_URL, benchSchema, type BenchEngine } from './lib/pg-bench';
import { progress } from './lib/settings';

/**
 * The capacity sketch, measured (ARCHITECTURE.md "Capacity sketch"): N clicks and N postbacks
 * through the real gateway over HTTP (each postback matching one of the clicks, one http-postback
 * destination), then the delivery engine sends every delivery once to a local sink (one attempt,
 * one exchange each). Then rows and bytes per table: Postgres pg_total_relation_size (table +
 * indexes + TOAST, https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-DBSIZE),
 * SQLite dbstat (pages per table and index, https://www.sqlite.org/dbstat.html).
 *
 *   npx tsx bench/capacity.ts [--n 100000] [--engine sqlite|postgres]   (both engines by default)
 *
 * The report goes to stdout and bench/results/capacity.md.
 */
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('n') ?? 100_000);
const engines: BenchEngine[] = arg('engine') ? [arg('engine') as BenchEngine] : ['sqlite', 'postgres'];
const IN_FLIGHT = 32;
const SECRET = 'capacity-source-secret-0123456789';
const MONTH = 10_000_000;
const RETENTION_DAYS = 90;
const TABLES = ['kv', 'conversions', 'deliveries', 'attempts', 'exchanges'] as const;
type Table = (typeof TABLES)[number];

interface Sizes {
  rows: Record<Table, number>;
  bytes: Record<Table, number>;
  fileBytes: number | null;
  clicksPerS: number;
  postbacksPerS: number;
  deliveriesPerS: number;
}

async function sink(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `count` requests, IN_FLIGHT at a time; returns per second. */
async function load(count: number, request: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await request(next++);
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

async function fill(gw: Gateway, base: string): Promise<Pick<Sizes, 'clicksPerS' | 'postbacksPerS' | 'deliveriesPerS'>> {
  const clickIds: string[] = new Array(N);
  progress(`${N} clicks`);
  const clicksPerS = await load(N, async (i) => {
    const res = await fetch(`${base}/c/demo?gclid=Cj0KCQiA-capacity-${i}&sub1=campaign-7&sub2=adset-${i % 40}`, { redirect: 'manual' });
    const sub5 = new URL(res.headers.get('location') ?? 'x:/').searchParams.get('sub5');
    if (res.status !== 302 || !sub5) throw new Error(`click ${i}: ${res.status}`);
    clickIds[i] = sub5;
  });
  progress(`${N} postbacks`);
  const postbacksPerS = await load(N, async (i) => {
    const q = new URLSearchParams({
      key: SECRET,
      click_id: clickIds[i] as string,
      tx_id: `cap-${i}-${clickIds[i]?.slice(0, 8)}`,
      payout: '12.50',
      offer_id: '42',
    });
    const res = await fetch(`${base}/postback?${q}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`postback ${i}: ${res.status}`);
  });
  progress(`${N} deliveries`);
  const t0 = performance.now();
  gw.engine.start();
  while (gw.engine.stats.succeeded < N) {
    if (gw.engine.stats.failed > 0) throw new Error(`${gw.engine.stats.failed} deliveries failed`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { clicksPerS, postbacksPerS, deliveriesPerS: N / ((performance.now() - t0) / 1000) };
}

async function measureEngine(engine: BenchEngine): Promise<Sizes> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-capacity-'));
  const schema = engine === 'postgres' ? benchSchema('capacity') : null;
  const file = join(dir, 'capacity.db');
  const out = await sink();
  const config = parseConfig({
    admin: { token: 'capacity-admin-token-0123456789' },
    server: { host: '127.0.0.1', port: 0 },
    storage: schema
      ? { engine: 'postgres', clickStore: 'postgres', postgres: { url: BENCH_PG_CONN, schema: schema.schema } }
      : { sqlitePath: file, synchronous: 'NORMAL', clickStore: 'sqlite' },
    log: { level: 'warn' },
    delivery: { concurrency: IN_FLIGHT },
    links: [{ id: 'demo', offerUrl: 'https://offer.example.com/lp?aff_id=7&offer_id=42' }],
    sources: [{ id: 'net', secret: SECRET, mode: 'tracked' }],
    outbound: { allowPrivateTargets: ['127.0.0.1'] },
    destinations: [
      { id: 'tracker', connector: 'http-postback', settings: { url: `${out.url}/pb?cid={click_id}&payout={payout}&txid={transaction_id}&key={dedup_key}` } },
    ],
  });
  const gw = openGateway({ config, logger: createLogger('warn'), startWorkers: false });
  try {
    const server = await gw.listen(0, '127.0.0.1');
    const rates = await fill(gw, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await gw.close();
    return { ...rates, ...(schema ? await postgresSizes(schema.schema) : sqliteSizes(file)) };
  } finally {
    await gw.close();
    await out.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function sqliteSizes(file: string): Pick<Sizes, 'rows' | 'bytes' | 'fileBytes'> {
  // Opened after the gateway closed (its last checkpoint folded the WAL into the file).
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const owner = new Map(
      (db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all() as Array<{ name: string; tbl_name: string }>).map((r) => [
        r.name,
        r.tbl_name,
      ]),
    );
    const pages = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as Array<{ name: string; bytes: number }>;
    const rows = {} as Record<Table, number>;
    const bytes = {} as Record<Table, number>;
    for (const t of TABLES) {
      rows[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
      bytes[t] = pages.filter((p) => owner.get(p.name) === t).reduce((s, p) => s + p.bytes, 0);
    }
    return { rows, bytes, fileBytes: statSync(file).size };
  } finally {
    db.close();
  }
}

async function postgresSizes(schema: string): Promise<Pick<Sizes, 'rows' | 'bytes' | 'fileBytes'>> {
  const c = new pg.Client({ connectionString: BENCH_PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    // VACUUM: what a table settles at (the dispatch's updates leave dead row versions behind until then).
    for (const t of TABLES) await c.query(`VACUUM ANALYZE ${t}`);
    const rows = {} as Record<Table, number>;
    const bytes = {} as Record<Table, number>;
    for (const t of TABLES) {
      rows[t] = Number((await c.query(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0].n);
      bytes[t] = Number((await c.query('SELECT pg_total_relation_size($1::regclass) AS b', [`"${schema}".${t}`])).rows[0].b);
    }
    return { rows, bytes, fileBytes: null };
  } finally {
    await c.end();
  }
}

const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

function report(engine: BenchEngine, s: Sizes): string[] {
  const per = (t: Table) => s.bytes[t] / Math.max(1, s.rows[t]);
  const kept = (s.bytes.conversions + s.bytes.deliveries) / N;
  const history = (s.bytes.attempts + s.bytes.exchanges) / N;
  const click = s.bytes.kv / N;
  const perDay = MONTH / 30;
  return [
    `### ${engine}`,
    '',
    ...table(
      ['table', 'rows', 'bytes (with indexes)', 'bytes per row'],
      TABLES.map((t) => [t, fmtRps(s.rows[t]), kib(s.bytes[t]), fmtRps(per(t))]),
    ),
    '',
    s.fileBytes === null ? '' : `SQLite file after checkpoint: ${kib(s.fileBytes)}.`,
    `Measured while filling (one process, ${IN_FLIGHT} in flight, load average ${loadavg()[0]?.toFixed(1)}): ${fmtRps(s.clicksPerS)} clicks/s, ` +
      `${fmtRps(s.postbacksPerS)} postbacks/s, ${fmtRps(s.deliveriesPerS)} deliveries/s.`,
    '',
    `- per conversion kept (conversions + deliveries row): **${fmtRps(kept)} B**; per attempt of history (attempts + exchanges row): **${fmtRps(history)} B**; per click (kv row): **${fmtRps(click)} B**`,
    `- 10 M postbacks a month, one destination, one attempt each: the record grows ${gib(kept * MONTH)} a month (kept, no age limit); ` +
      `attempts + exchanges settle at ${gib(history * perDay * RETENTION_DAYS)} (${RETENTION_DAYS} days of retention); ` +
      `each million clicks a day holds ${gib(click * 1e6 * 30)} in the click store (30-day attribution window).`,
    '',
  ];
}

const sections: string[] = [
  '# Capacity sketch (bench/capacity.ts)',
  '',
  `- run: ${new Date().toISOString()}; N = ${fmtRps(N)} clicks, postbacks and deliveries per engine; load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
  '',
];
for (const engine of engines) {
  progress(`capacity: ${engine}`);
  sections.push(...report(engine, await measureEngine(engine)));
}
const text = sections.join('\n');
process.stdout.write(`${text}\n`);
writeFileSync(join(fileURLToPath(new URL('.', import.meta.url)), 'results', 'capacity.md'), `${text}\n`);
process.exit(0);
