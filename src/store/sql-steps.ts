import type { Dialect } from './dialect';
import type { Row } from './ledger-rows';

/**
 * Storage logic written once for both engines. A job is a generator that yields the statements it
 * needs and receives their results: the SQLite runner answers each one synchronously (so the whole
 * job stays inside one better-sqlite3 transaction, with nothing interleaving on the connection),
 * the Postgres runner awaits each one on the transaction's client. The logic — reads, decisions,
 * writes — is the same code on both; only `dialect` says where the SQL differs.
 *
 *   function* job(d: Dialect) { const r = yield* q.get(SQL.x, id); ...; yield* q.run(SQL.y, ...); return r; }
 */
export type StepMode = 'all' | 'get' | 'run';
export interface Step {
  mode: StepMode;
  sql: string;
  params: unknown[];
}
export type Steps<T> = Generator<Step, T, unknown>;
/** A job for a runner: built anew on each run (a Postgres batch may be retried after a deadlock). */
export type Job<T> = (dialect: Dialect) => Steps<T>;

export const q = {
  *all(sql: string, ...params: unknown[]): Steps<Row[]> {
    return (yield { mode: 'all', sql, params }) as Row[];
  },
  *get(sql: string, ...params: unknown[]): Steps<Row | undefined> {
    return (yield { mode: 'get', sql, params }) as Row | undefined;
  },
  *run(sql: string, ...params: unknown[]): Steps<{ changes: number }> {
    return (yield { mode: 'run', sql, params }) as { changes: number };
  },
};

/** Drives a job with a synchronous executor (SQLite). */
export function runSync<T>(steps: Steps<T>, exec: (step: Step) => unknown): T {
  let next = steps.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = exec(next.value);
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

/** Drives a job with an asynchronous executor (Postgres: one client, one transaction). */
export async function runAsync<T>(steps: Steps<T>, exec: (step: Step) => Promise<unknown>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await exec(next.value);
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

/**
 * What a store needs from an engine. `write` jobs of one event-loop turn share a transaction
 * (group commit) and see their own writes; `read` jobs run outside it.
 */
export interface StepRunner {
  readonly dialect: Dialect;
  read<T>(job: Job<T>): Promise<T>;
  write<T>(job: Job<T>): Promise<T>;
  /** SQLite only: a read answered synchronously (the network directory's first load). */
  readNow?<T>(job: Job<T>): T;
}

/**
 * A list in chunks of `max` (a power of two), the last padded with its own last item up to the
 * next power of two: for statements where a repeated row changes nothing (an `IN` list, an UPDATE
 * joined to a VALUES table: of several joined rows for one target row, both engines use one).
 * Each row count is a statement text that stays prepared, holding native memory V8 does not see
 * (bench/README.md "Memory (h-rss, round 3)"): log2(max) + 1 texts, not one per count met, and
 * no more statements than unpadded chunks.
 */
export function* paddedChunks<T>(items: readonly T[], max: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += max) {
    const chunk = items.slice(i, i + max);
    let size = 1;
    while (size < chunk.length) size <<= 1;
    const last = chunk[chunk.length - 1] as T;
    while (chunk.length < size) chunk.push(last);
    yield chunk;
  }
}
