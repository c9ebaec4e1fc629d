import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { openGateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { serveBench } from '../lib/child-side';
import { benchEngine, benchPostgresStorage, pgWriterStats } from '../lib/pg-bench';
import { benchGatewayConfig, GATEWAY_VARIANTS, type GatewayVariant } from './shared';

/**
 * The real gateway (src/gateway.ts: storage, group commit, Koa app, delivery engine) on a FRESH
 * SQLite file in os.tmpdir() (ext4 here, so fsync is real) with storage.synchronous=FULL (every
 * acknowledged write is on disk; src/store/sqlite/group-commit.ts says how), one link
 * ("demo"), one tracked source ("net") and one http-postback destination ("tracker") whose URL
 * points at 127.0.0.1:9 (discard; nothing is ever sent there). BENCH_GATEWAY_VARIANT picks what a
 * postback writes:
 *
 *  no-delivery  The destination filters on an offer the bench never sends, so routing yields no
 *               target. Per accepted postback, ONE committed transaction holds: the conversions
 *               row (plus the duplicate check and the delivery summary read). The delivery
 *               engine runs, as in production, but finds nothing to claim (one claim query per
 *               250 ms poll).
 *  held-outbox  No filters: every postback routes to "tracker". Per accepted postback, ONE
 *               committed transaction holds: the conversions row AND one pending deliveries
 *               (outbox) row. The delivery engine is NOT started (openGateway's startWorkers:
 *               false), so deliveries stay pending and no CPU goes to sending. Note that
 *               `enabled: false` would not do: routing skips disabled destinations, so no outbox
 *               row would be written at all.
 *
 * Every click (GET /c/demo) writes one kv row (the click record, JSON) through the same group
 * commit, whatever the variant.
 *
 * BENCH_ENGINE=postgres: the same gateway on Postgres (schema BENCH_PG_SCHEMA, made and dropped by
 * the scenario; pool BENCH_PG_POOL) with the clicks in its kv table; bench/lib/pg-bench.ts.
 */
const variant = (process.env.BENCH_GATEWAY_VARIANT ?? 'no-delivery') as GatewayVariant;
if (!GATEWAY_VARIANTS.includes(variant)) throw new Error(`BENCH_GATEWAY_VARIANT must be one of ${GATEWAY_VARIANTS.join(', ')}`);

// Diagnosis only (bench/profile.ts): BENCH_SYNCHRONOUS=NORMAL drops the per-commit sync. The scenarios use FULL.
const synchronous = process.env.BENCH_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';
const dir = mkdtempSync(join(tmpdir(), 'closeloop-bench-'));
const config = benchGatewayConfig(
  benchEngine() === 'postgres' ? benchPostgresStorage() : { sqlitePath: join(dir, 'bench.db'), synchronous, clickStore: 'sqlite' },
  variant,
);

const gw = openGateway({ config, logger: createLogger(config.log.level), startWorkers: variant !== 'held-outbox' });
const server = await gw.listen(0, '127.0.0.1');
// Diagnosis: BENCH_OVERLAP_SYNCS=1 lets each batch start its own WAL fdatasync beside a running one (before h-tail).
if (process.env.BENCH_OVERLAP_SYNCS === '1' && gw.storage.sqlite) gw.storage.sqlite.writer.serialSyncs = false;

// Time every group-commit flush() on the event loop: the batch's statements and COMMIT, plus any sync done inline
// (none since the WAL fdatasync moved to the thread pool; the answers then wait for it off the loop).
const flushes: Array<[ms: number, jobs: number]> = [];
if (gw.storage.sqlite) {
  const writer = gw.writer as unknown as { flush(): void; queue: unknown[]; batches: number };
  const flush = writer.flush.bind(writer);
  writer.flush = () => {
    const jobs = writer.queue.length;
    const commits = writer.batches;
    const t = performance.now();
    flush();
    // Only a flush that committed: one that found a sync running and left its jobs queued counted them twice.
    if (writer.batches > commits) flushes.push([performance.now() - t, jobs]);
  };
}

// BENCH_DIAG=1 (diagnosis, bench/scenarios/fixed-rate.ts): per 100 ms window of the measured run, the event-loop
// delay max, the longest flush, the longest WAL fdatasync, GC time and the WAL's size, to attribute each latency stall.
// The WAL's frames and how many of them are checkpointed come from the wal-index (the -shm file: mxFrame at byte 16,
// nBackfill at byte 96; https://sqlite.org/walformat.html#the_wal_index_file_format); the WAL restarted when mxFrame fell.
type Window = {
  t: number;
  loopMax: number;
  flushMax: number;
  flushMs: number;
  syncMax: number;
  syncs: number;
  gcMs: number;
  gcMax: number;
  walMb: number;
  frames: number;
  backfilled: number;
  /** The main thread's time on the CPU and runnable but waiting for it, and the checkpointer thread's CPU, ms (schedstat). */
  mainRun: number;
  mainWait: number;
  ckptRun: number;
};
const windows: Window[] = [];
// Every WAL fdatasync's duration (ms) and the jobs it answered, for the scenarios' sync columns.
const syncMs: number[] = [];
let syncJobs = 0;
if (gw.storage.sqlite)
  gw.storage.sqlite.writer.syncObserver = (ms, jobs) => {
    syncMs.push(ms);
    syncJobs += jobs;
  };
const diag = process.env.BENCH_DIAG === '1' && gw.storage.sqlite ? newWindow() : null;
function newWindow(): Window {
  return {
    t: performance.timeOrigin + performance.now(),
    loopMax: 0,
    flushMax: 0,
    flushMs: 0,
    syncMax: 0,
    syncs: 0,
    gcMs: 0,
    gcMax: 0,
    walMb: 0,
    frames: 0,
    backfilled: 0,
    mainRun: 0,
    mainWait: 0,
    ckptRun: 0,
  };
}
if (diag && gw.storage.sqlite) {
  let w = diag;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const wal = join(dir, 'bench.db-wal');
  const thread = (name: string) => readdirSync('/proc/self/task').find((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === name);
  const ckpt = thread('checkpointer');
  // BENCH_CKPT_NICE=N: the checkpointer thread at that nice value (diagnosis).
  if (ckpt && process.env.BENCH_CKPT_NICE) setPriority(Number(ckpt), Number(process.env.BENCH_CKPT_NICE));
  const sched = (tid: string | undefined): [number, number] => {
    if (!tid) return [0, 0];
    const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    return [(run ?? 0) / 1e6, (wait ?? 0) / 1e6];
  };
  let main0 = sched(String(process.pid));
  let ckpt0 = sched(ckpt);
  setInterval(() => {
    w.loopMax = loop.max / 1e6;
    loop.reset();
    try {
      w.walMb = statSync(wal).size / 1_048_576;
      const fd = openSync(join(dir, 'bench.db-shm'), 'r');
      const head = Buffer.alloc(100);
      readSync(fd, head, 0, 100, 0);
      closeSync(fd);
      w.frames = head.readUInt32LE(16);
      w.backfilled = head.readUInt32LE(96);
    } catch {}
    const main1 = sched(String(process.pid));
    const ckpt1 = sched(ckpt);
    w.mainRun = main1[0] - main0[0];
    w.mainWait = main1[1] - main0[1];
    w.ckptRun = ckpt1[0] - ckpt0[0];
    main0 = main1;
    ckpt0 = ckpt1;
    windows.push(w);
    w = newWindow();
  }, 100).unref();
  gw.storage.sqlite.writer.syncObserver = (ms, jobs) => {
    syncMs.push(ms);
    syncJobs += jobs;
    w.syncs++;
    if (ms > w.syncMax) w.syncMax = ms;
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      w.gcMs += e.duration;
      if (e.duration > w.gcMax) w.gcMax = e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const prev = flushes.push.bind(flushes);
  flushes.push = (...items) => {
    for (const [ms] of items) {
      w.flushMs += ms;
      if (ms > w.flushMax) w.flushMax = ms;
    }
    return prev(...items);
  };
}

function syncGauges(): Record<string, number> {
  const ms = [...syncMs].sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(p * ms.length) - 1))] ?? 0;
  return { syncCount: ms.length, syncMsP50: at(0.5), syncMsP99: at(0.99), syncJobs };
}

const count = (table: string, where = ''): number => (gw.db.prepare(`SELECT COUNT(*) AS n FROM ${table} ${where}`).get() as { n: number }).n;

serveBench(server, {
  counters: () => ({
    batches: gw.writer.batches,
    maxBatch: gw.writer.maxBatch,
    kvRows: count('kv'),
    conversionRows: count('conversions'),
    deliveryRows: count('deliveries'),
    pendingDeliveries: count('deliveries', "WHERE status = 'pending'"),
    rejectionRows: count('rejections'),
  }),
  onMark: () => {
    flushes.length = 0;
    windows.length = 0;
    syncMs.length = 0;
    syncJobs = 0;
  },
  gauges: () => {
    const ms = flushes.map(([t]) => t).sort((a, b) => a - b);
    const total = ms.reduce((a, b) => a + b, 0);
    const at = (p: number) => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(p * ms.length) - 1))] ?? 0;
    return {
      flushMsTotal: total,
      flushMsP50: at(0.5),
      flushMsP99: at(0.99),
      flushMsMax: at(1),
      flushJobs: flushes.reduce((a, [, j]) => a + j, 0),
      ...syncGauges(),
      ...(diag ? { diag: JSON.stringify(windows) } : {}),
    };
  },
  // Postgres: commits and batch times from its group commit; the scenario counts the rows (bench/lib/pg-bench.ts).
  ...(gw.storage.postgres ? pgWriterStats(gw.storage.postgres.writer) : {}),
  close: async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
