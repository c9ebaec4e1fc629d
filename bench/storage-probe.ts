import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig, type DestinationConfig } from '../src/config';
import type { ConversionRecord } from '../src/conversions/conversion';
import { route } from '../src/conversions/routing';
import { newId } from '../src/ids';
import { GroupCommit } from '../src/store/sqlite/group-commit';
import { MIGRATIONS, migrate } from '../src/store/migrations';
import { createStepLedger } from '../src/store/step-ledger';
import { sqliteStepRunner } from '../src/store/sqlite/sqlite-steps';
import Database from 'better-sqlite3';
import { openSqlite } from '../src/store/sqlite/sqlite-engine';
import { SqliteKeyvAdapter } from '../src/store/sqlite/sqlite-keyv-adapter';
import { fmtMs, table } from './lib/format';
import { percentile } from './lib/load';
import { benchClick } from './lib/workloads';

/**
 * What one durable write costs the event loop, in-process and without HTTP: CPU per write, the
 * time flush() holds the loop, and WAL bytes per commit (autocheckpoint off, so the WAL only
 * grows), for the click row with random ids (today's newId) vs time-ordered ids, and for
 * intake's conversion (+ outbox) rows. Then the same with SQLite's autocheckpoint on, which
 * runs inside COMMIT, on the loop. The production-like case starts from a database of PREFILL
 * conversions with random transaction and click ids (as networks and clicks send them), where
 * every random-key index dirties a leaf page of its own per postback. Not part of `npm run bench`:
 *   npx tsx bench/storage-probe.ts [commits=400]
 */
const BATCH = 25;
const COMMITS = Number(process.argv[2] ?? 400);
// Knobs for a change-by-change comparison: BENCH_PROBE_CASES=word,word (cases whose label contains
// one), BENCH_PROBE_CHECKPOINT=off|on (one of the two tables), BENCH_PROBE_DROP=index,index (drop
// these indexes after migrating: what each one costs a write), BENCH_PROBE_FK=off (no foreign-key checks).
const onlyCases = process.env.BENCH_PROBE_CASES?.split(',').filter(Boolean) ?? [];
const checkpointModes = process.env.BENCH_PROBE_CHECKPOINT === 'off' ? [false] : process.env.BENCH_PROBE_CHECKPOINT === 'on' ? [true] : [false, true];
const dropIndexes = process.env.BENCH_PROBE_DROP?.split(',').filter(Boolean) ?? [];
// Statements run after the drops (BENCH_PROBE_EXEC='CREATE INDEX …;…'): a candidate index measured before it is a migration.
const execSql = process.env.BENCH_PROBE_EXEC ?? '';
// BENCH_PROBE_WAL_TREES=1: after each autocheckpoint-off run, which b-tree each WAL frame belongs to (dbstat), pages per commit.
const walTrees = process.env.BENCH_PROBE_WAL_TREES === '1';
const treeLines: string[] = [];
// The production-like cases' database: this many conversions (one delivery each) before the run.
const PREFILL = Number(process.env.BENCH_PROBE_PREFILL ?? 300_000);
// SQLite's page cache per connection (PRAGMA cache_size; negative = KiB), when set: what a larger one buys.
const cacheSize = process.env.BENCH_PROBE_CACHE_SIZE;
// Pragmas run on the probe's connection after openSqlite's (BENCH_PROBE_PRAGMAS='temp_store = FILE;…'): a before/after in one tree.
const pragmas =
  process.env.BENCH_PROBE_PRAGMAS?.split(';')
    .map((p) => p.trim())
    .filter(Boolean) ?? [];

// BENCH_PROBE_PAGE_SIZE=8192: every new file the probe makes (run file, template) gets this page size.
// page_size only counts before the file's first write, which `journal_mode = WAL` already is, so
// the file is created here first and openSqlite then opens an existing file that keeps its size.
const pageSize = process.env.BENCH_PROBE_PAGE_SIZE ? Number(process.env.BENCH_PROBE_PAGE_SIZE) : undefined;
function openNew(path: string): ReturnType<typeof openSqlite> {
  if (pageSize !== undefined) {
    const pre = new Database(path);
    pre.pragma(`page_size = ${pageSize}`);
    pre.pragma('journal_mode = WAL');
    pre.close();
  }
  return openSqlite(path);
}

let seq = 0;
/** 32 hex like newId(), but increasing: 12 hex of ms time + a counter. */
const orderedId = () => Date.now().toString(16).padStart(12, '0') + (seq++).toString(16).padStart(20, '0');

const click = benchClick(
  { gclid: 'Cj0KCQ-bench-gclid-0123456789', sub1: 'campaign-7', sub2: 'adset-3' },
  { userAgent: 'autocannon', landingUrl: 'http://127.0.0.1:8080/c/demo?gclid=Cj0KCQ-bench-gclid-0123456789' },
);
const clickValue = JSON.stringify({ value: click, expires: Date.now() + 30 * 86_400_000 });
const config = parseConfig({
  admin: { token: 'bench-admin-token-0123456789' },
  sources: [{ id: 'net', secret: 'bench-source-secret-0123456789' }],
  destinations: [{ id: 'tracker', connector: 'http-postback', settings: { url: 'http://127.0.0.1:9/x' }, acceptUnmatched: true }],
});
const source = config.sources[0] as (typeof config.sources)[number];

interface Case {
  label: string;
  /** Start from a database already holding PREFILL conversions with random transaction and click ids. */
  prefilled?: boolean;
  /** Returns one write's job for the group commit. */
  setup: (db: ReturnType<typeof openSqlite>, writer: GroupCommit) => () => Promise<unknown>;
}

const kv =
  (id: () => string): Case['setup'] =>
  (db, writer) => {
    const ins = db.prepare(
      'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
    );
    return () => writer.run(() => ins.run(`click:${id()}`, clickValue, Date.now() + 1e9));
  };
/** A random 24-hex key: a network's transaction id or a click id as they arrive in production (no order). */
const randomKey = () => randomBytes(12).toString('hex');

const postback =
  (destinations: readonly DestinationConfig[], id: () => string, random = false): Case['setup'] =>
  (db, writer) => {
    const ledger = createStepLedger(sqliteStepRunner(db, writer), async () => {
      await writer.drain();
      db.close();
    });
    return () => {
      const at = Date.now();
      const clickId = random ? randomKey() : click.id;
      const conversion: ConversionRecord = {
        id: id(),
        source: 'net',
        transactionId: `tx-${random ? randomKey() : id()}`,
        event: 'conversion',
        status: 'approved',
        payout: '12.50',
        currency: 'USD',
        offerId: '42',
        clickId,
        matched: true,
        click: random ? { ...click, id: clickId } : click,
        params: {},
        receivedAt: at,
        updatedAt: at,
      };
      return ledger.recordPostback({ conversion, route: (c) => route(c, source, destinations, 10) }, at);
    };
  };

/** The redirect's write as the gateway makes it: keyv's JSON through the SQLite keyv adapter. */
const keyvClick: Case['setup'] = (db, writer) => {
  const adapter = new SqliteKeyvAdapter(db, writer);
  return () => adapter.set(`click:${newId()}`, clickValue, 30 * 86_400_000);
};

const allCases: Case[] = [
  { label: 'click through the keyv adapter (the redirect)', setup: keyvClick },
  { label: 'click kv row, random ids (newId)', setup: kv(newId) },
  { label: 'click kv row, time-ordered ids', setup: kv(orderedId) },
  { label: 'conversion row (no-delivery), random ids', setup: postback([], newId) },
  { label: 'conversion + outbox row (held-outbox), random ids', setup: postback(config.destinations, newId) },
  { label: 'conversion + outbox row, time-ordered conversion ids', setup: postback(config.destinations, orderedId) },
  {
    label: `conversion + outbox row, production-like: random tx + click ids, ${PREFILL / 1000}k conversions before`,
    setup: postback(config.destinations, newId, true),
    prefilled: true,
  },
];

/**
 * A migrated database holding PREFILL conversions (random transaction and click ids, the probe's
 * click JSON, ids and times in the past hour) and one succeeded delivery each, built once and kept
 * in the temp dir under a name that hashes the schema, so a before and an after tree each build
 * their own. At this size the random-key indexes no longer fit the page cache and every new key
 * lands on a leaf page of its own, as in production.
 */
function prefilledTemplate(): string {
  // The page size is part of the key (the default's key is the one before the knob, so its templates stay valid).
  const size = pageSize === undefined ? '' : `page_size=${pageSize}`;
  const key = createHash('sha256').update(JSON.stringify(MIGRATIONS)).update(String(PREFILL)).update(size).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `closeloop-probe-prefill-${key}.db`);
  if (existsSync(file)) return file;
  const building = `${file}.${process.pid}`;
  const db = openNew(building);
  migrate(db, Date.now());
  const t0 = Date.now() - 3_600_000;
  const clickJson = JSON.stringify(click);
  db.transaction(() => {
    // Ids in newId's layout (12 hex of ms time, then random), one ms apart: older than the run's.
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO conversions (id, source, transaction_id, event, status, payout, currency, offer_id, click_id, matched, click,
         params, received_at, updated_at, identifiers, warnings, consent)
       SELECT printf('%012x', ? + i) || lower(hex(randomblob(10))), 'net', 'tx-' || lower(hex(randomblob(12))), 'conversion', 'approved',
         '12.50', 'USD', '42', lower(hex(randomblob(12))), 1, ?, '{}', ? + i, ? + i, '{}', '[]', '{}' FROM n`,
    ).run(PREFILL, t0, clickJson, t0, t0);
    db.prepare(
      `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts, next_attempt_at,
         created_at, updated_at)
       SELECT substr(id, 1, 12) || lower(hex(randomblob(10))), id, 'tracker', 'http-postback', lower(hex(randomblob(16))), 'succeeded', 1, 10,
         received_at, received_at, received_at FROM conversions ORDER BY id`,
    ).run();
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  renameSync(building, file);
  return file;
}

const cases = allCases.filter((c) => onlyCases.length === 0 || onlyCases.some((w) => c.label.includes(w)));

async function measure(c: Case, autocheckpoint: boolean): Promise<Array<string | number>> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-probe-'));
  const path = join(dir, 'probe.db');
  if (c.prefilled) copyFileSync(prefilledTemplate(), path);
  const db = c.prefilled ? openSqlite(path) : openNew(path);
  const frame = (db.pragma('page_size', { simple: true }) as number) + 24;
  try {
    if (cacheSize !== undefined) db.pragma(`cache_size = ${Number(cacheSize)}`);
    for (const p of pragmas) db.pragma(p);
    migrate(db, Date.now()); // the template is migrated already: a no-op there
    for (const index of dropIndexes) db.exec(`DROP INDEX ${index}`);
    if (execSql) db.exec(execSql);
    if (process.env.BENCH_PROBE_FK === 'off') db.pragma('foreign_keys = OFF');
    if (!autocheckpoint) db.pragma('wal_autocheckpoint = 0');
    const writer = new GroupCommit(db); // no WAL sync: what the loop itself pays
    const write = c.setup(db, writer);
    const commit = async () => {
      const pending = Array.from({ length: BATCH }, write);
      // recordPostback queues its job for the group commit in a setImmediate (one job per turn).
      await new Promise((resolve) => setImmediate(resolve));
      const t = performance.now();
      writer.flush();
      const ms = performance.now() - t;
      await Promise.all(pending);
      return ms;
    };
    for (let i = 0; i < 200; i++) await commit(); // some depth in the trees, JIT warm
    if (!autocheckpoint) db.pragma('wal_checkpoint(TRUNCATE)');
    const walSize = () => {
      try {
        return statSync(`${path}-wal`).size;
      } catch {
        return 0;
      }
    };
    const w0 = walSize();
    const cpu0 = process.cpuUsage();
    const times: number[] = [];
    for (let i = 0; i < COMMITS; i++) times.push(await commit());
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    const wal = walSize() - w0;
    if (walTrees && !autocheckpoint) treeLines.push(`${c.label}: ${walPagesByTree(db, path, COMMITS)}`);
    return [
      c.label,
      ((cpu.user + cpu.system) / (COMMITS * BATCH)).toFixed(1),
      (cpu.system / (COMMITS * BATCH)).toFixed(1),
      fmtMs(percentile(times, 50)),
      fmtMs(percentile(times, 99)),
      fmtMs(percentile(times, 100)),
      autocheckpoint ? '–' : `${(wal / COMMITS / 1024).toFixed(0)} KiB (${(wal / COMMITS / frame).toFixed(1)} pages of ${frame - 24})`,
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * WAL frames by the b-tree their page belongs to, per commit (the WAL was truncated before the
 * run, so every frame is the run's): where a commit's pages go, index by index. A WAL frame is a
 * 24-byte header (page number first) and the page (https://www.sqlite.org/fileformat2.html#walformat).
 */
function walPagesByTree(db: ReturnType<typeof openSqlite>, path: string, commits: number): string {
  const tree = new Map<number, string>();
  for (const r of db.prepare('SELECT pageno, name FROM dbstat').all() as Array<{ pageno: number; name: string }>) tree.set(r.pageno, r.name);
  const wal = readFileSync(`${path}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const counts = new Map<string, number>();
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const name = tree.get(wal.readUInt32BE(at)) ?? '(freelist)';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${(n / commits).toFixed(1)}`)
    .join(', ');
}

const header = ['write', 'CPU µs/write', 'of which kernel', 'flush p50 ms', 'flush p99 ms', 'flush max ms', 'WAL per commit'];
if (dropIndexes.length) process.stdout.write(`indexes dropped after migrating: ${dropIndexes.join(', ')}\n`);
for (const autocheckpoint of checkpointModes) {
  const rows: Array<Array<string | number>> = [];
  for (const c of cases) rows.push(await measure(c, autocheckpoint));
  process.stdout.write(
    [
      '',
      `### ${BATCH} writes per commit, ${COMMITS} commits, ${autocheckpoint ? 'SQLite autocheckpoint ON (default 1000 pages: runs inside COMMIT)' : 'autocheckpoint OFF (WAL only grows)'}`,
      '',
      ...table(header, rows),
      ...(autocheckpoint ? [] : treeLines.map((l) => `\nWAL pages per commit by b-tree, ${l}`)),
    ].join('\n') + '\n',
  );
}
