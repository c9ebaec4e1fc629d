import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { PgGroupCommit } from '../../src/store/postgres/pg-group-commit';
import type { ChildSideOptions } from './child-side';

/**
 * The Postgres side of the benchmarks: the engine knob of bench/servers/gateway.ts
 * (BENCH_ENGINE=postgres, BENCH_PG_SCHEMA, BENCH_PG_POOL), a schema of its own per run, and the
 * group-commit figures of a server child on Postgres.
 */
export const BENCH_PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The bench's connections carry this application_name, so the Postgres CPU of a run can be told
 * apart from other clients of the same server (other engineers' tests).
 * https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-APPLICATION-NAME
 */
const APP = 'closeloop-bench';
export const BENCH_PG_CONN = `${BENCH_PG_URL}${BENCH_PG_URL.includes('?') ? '&' : '?'}application_name=${APP}`;

export type BenchEngine = 'sqlite' | 'postgres';
export const benchEngine = (): BenchEngine => (process.env.BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite');

/** The storage section of the bench gateway on Postgres: the schema the scenario made for this run, the ledger's own click store. */
export function benchPostgresStorage(): Record<string, unknown> {
  const schema = process.env.BENCH_PG_SCHEMA;
  if (!schema) throw new Error('BENCH_ENGINE=postgres needs BENCH_PG_SCHEMA (bench/scenarios/postgres.ts sets it)');
  const poolSize = Number(process.env.BENCH_PG_POOL ?? 10);
  const inFlight = process.env.BENCH_PG_INFLIGHT ? { commitsInFlight: Number(process.env.BENCH_PG_INFLIGHT) } : {};
  return { engine: 'postgres', clickStore: 'postgres', postgres: { url: BENCH_PG_CONN, schema, poolSize, ...inFlight } };
}

/** A fresh schema name; `drop()` removes it and everything in it. The gateway creates it on its first start (migrations). */
export function benchSchema(tag: string): { schema: string; drop: () => Promise<void> } {
  const schema = `bench_${tag}_${randomBytes(5).toString('hex')}`;
  return {
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: BENCH_PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Row counts of a bench schema, read by the scenario (the child's counters are synchronous). */
export async function countRows<T extends string>(schema: string, tables: readonly T[]): Promise<Record<T, number>> {
  const c = new pg.Client({ connectionString: BENCH_PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    const out = {} as Record<T, number>;
    for (const t of tables) out[t] = Number((await c.query(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0].n);
    return out;
  } finally {
    await c.end();
  }
}

/**
 * Counters and gauges of a gateway child on Postgres: commits (batches), jobs per commit and how
 * long each batch took from taking a client to COMMIT's answer (round trips + the server's WAL
 * flush; the event loop is free meanwhile, unlike SQLite's synchronous flush()).
 */
export function pgWriterStats(writer: PgGroupCommit): Pick<ChildSideOptions, 'counters' | 'gauges' | 'onMark'> {
  const batches: Array<[ms: number, jobs: number]> = [];
  const w = writer as unknown as { flush(): Promise<void>; queue: unknown[] };
  const flush = w.flush.bind(w);
  w.flush = async () => {
    const jobs = w.queue.length;
    const t = performance.now();
    await flush();
    if (jobs > 0) batches.push([performance.now() - t, jobs]);
  };
  return {
    counters: () => ({ batches: writer.batches, maxBatch: writer.maxBatch, maxInFlight: writer.maxInFlight, retries: writer.retries }),
    onMark: () => {
      batches.length = 0;
    },
    gauges: () => {
      const ms = batches.map(([t]) => t).sort((a, b) => a - b);
      const at = (p: number) => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(p * ms.length) - 1))] ?? 0;
      return { batchMsP50: at(0.5), batchMsP99: at(0.99), batchMsMax: at(1), flushJobs: batches.reduce((a, [, j]) => a + j, 0) };
    },
  };
}

/**
 * CPU of the Postgres processes serving the bench over a window: its own backends and the server's
 * auxiliary processes (WAL writer, checkpointer…), from /proc/PID/stat utime + stime (USER_HZ = 100).
 * `start()` lists them (pg_stat_activity); `stop()` returns the ms they used since, counting only
 * processes alive at both ends. https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */
export async function postgresCpu(): Promise<{ stop: () => number }> {
  const c = new pg.Client({ connectionString: BENCH_PG_URL });
  await c.connect();
  let pids: number[];
  try {
    const { rows } = await c.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 OR backend_type NOT IN ('client backend', 'autovacuum worker')",
      [APP],
    );
    pids = rows.map((r) => Number(r.pid));
  } finally {
    await c.end();
  }
  const t0 = cpuTicks(pids);
  return {
    stop: () => {
      const t1 = cpuTicks(pids);
      let ticks = 0;
      for (const [pid, t] of t1) ticks += t - (t0.get(pid) ?? t);
      return ticks * 10;
    },
  };
}

function cpuTicks(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, Number(f[11]) + Number(f[12]));
    } catch {
      // exited
    }
  }
  return out;
}
