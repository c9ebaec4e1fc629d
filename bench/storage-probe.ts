import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildClick, clickInputSchema } from '../src/clicks/capture';
import { parseConfig, type DestinationConfig } from '../src/config';
import type { ConversionRecord } from '../src/conversions/conversion';
import { route } from '../src/conversions/routing';
import { newId } from '../src/ids';
import { GroupCommit } from '../src/store/sqlite/group-commit';
import { migrate } from '../src/store/migrations';
import { createStepLedger } from '../src/store/step-ledger';
import { sqliteStepRunner } from '../src/store/sqlite/sqlite-steps';
import { openSqlite } from '../src/store/sqlite/sqlite-engine';
import { SqliteKeyvAdapter } from '../src/store/sqlite/sqlite-keyv-adapter';
import { fmtMs, table } from './lib/format';
import { percentile } from './lib/load';

/**
 * What one durable write costs the event loop, in-process and without HTTP: CPU per write, the
 * time flush() holds the loop, and WAL bytes per commit (autocheckpoint off, so the WAL only
 * grows), for the click row with random ids (today's newId) vs time-ordered ids, and for
 * intake's conversion (+ outbox) rows. Then the same with SQLite's autocheckpoint on, which
 * runs inside COMMIT, on the loop. Not part of `npm run bench`:
 *   npx tsx bench/storage-probe.ts [commits=400]
 */
const BATCH = 25;
const COMMITS = Number(process.argv[2] ?? 400);
// Knobs for a change-by-change comparison: BENCH_PROBE_CASES=word,word (cases whose label contains
// one), BENCH_PROBE_CHECKPOINT=off|on (one of the two tables), BENCH_PROBE_DROP=index,index (drop
// these indexes after migrating: what each one costs a write).
const onlyCases = process.env.BENCH_PROBE_CASES?.split(',').filter(Boolean) ?? [];
const checkpointModes = process.env.BENCH_PROBE_CHECKPOINT === 'off' ? [false] : process.env.BENCH_PROBE_CHECKPOINT === 'on' ? [true] : [false, true];
const dropIndexes = process.env.BENCH_PROBE_DROP?.split(',').filter(Boolean) ?? [];

let seq = 0;
/** 32 hex like newId(), but increasing: 12 hex of ms time + a counter. */
const orderedId = () => Date.now().toString(16).padStart(12, '0') + (seq++).toString(16).padStart(20, '0');

const click = buildClick({
  link: 'demo',
  input: clickInputSchema.parse({ gclid: 'Cj0KCQ-bench-gclid-0123456789', sub1: 'campaign-7', sub2: 'adset-3' }),
  ip: '127.0.0.1',
  userAgent: 'autocannon',
  referrer: null,
  landingUrl: 'http://127.0.0.1:8080/c/demo?gclid=Cj0KCQ-bench-gclid-0123456789',
  cookies: {},
  now: Date.now(),
});
const clickValue = JSON.stringify({ value: click, expires: Date.now() + 30 * 86_400_000 });
const config = parseConfig({
  admin: { token: 'bench-admin-token-0123456789' },
  sources: [{ id: 'net', secret: 'bench-source-secret-0123456789' }],
  destinations: [{ id: 'tracker', connector: 'http-postback', settings: { url: 'http://127.0.0.1:9/x' }, acceptUnmatched: true }],
});
const source = config.sources[0] as (typeof config.sources)[number];

interface Case {
  label: string;
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
const postback =
  (destinations: readonly DestinationConfig[], id: () => string): Case['setup'] =>
  (db, writer) => {
    const ledger = createStepLedger(sqliteStepRunner(db, writer), async () => {
      await writer.drain();
      db.close();
    });
    return () => {
      const at = Date.now();
      const conversion: ConversionRecord = {
        id: id(),
        source: 'net',
        transactionId: `tx-${id()}`,
        event: 'conversion',
        status: 'approved',
        payout: '12.50',
        currency: 'USD',
        offerId: '42',
        clickId: click.id,
        matched: true,
        click,
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
];
const cases = allCases.filter((c) => onlyCases.length === 0 || onlyCases.some((w) => c.label.includes(w)));

async function measure(c: Case, autocheckpoint: boolean): Promise<Array<string | number>> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-probe-'));
  const path = join(dir, 'probe.db');
  const db = openSqlite(path);
  try {
    migrate(db, Date.now());
    for (const index of dropIndexes) db.exec(`DROP INDEX ${index}`);
    if (!autocheckpoint) db.pragma('wal_autocheckpoint = 0');
    const writer = new GroupCommit(db); // no WAL sync: what the loop itself pays
    const write = c.setup(db, writer);
    const commit = async () => {
      const pending = Array.from({ length: BATCH }, write);
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
    return [
      c.label,
      ((cpu.user + cpu.system) / (COMMITS * BATCH)).toFixed(1),
      fmtMs(percentile(times, 50)),
      fmtMs(percentile(times, 99)),
      fmtMs(percentile(times, 100)),
      autocheckpoint ? '–' : `${(wal / COMMITS / 1024).toFixed(0)} KiB (${(wal / COMMITS / (4096 + 24)).toFixed(0)} pages)`,
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const header = ['write', 'CPU µs/write', 'flush p50 ms', 'flush p99 ms', 'flush max ms', 'WAL per commit'];
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
    ].join('\n') + '\n',
  );
}
