import type pg from 'pg';
import { postgresDialect } from '../dialect';
import { runAsync, type Job } from '../sql-steps';
import type { DependencyMonitor } from '../../health/monitor';
import { execStep, isRetryable, pgStorageError } from './pg-pool';

interface Queued {
  job: Job<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Result = { ok: boolean; value?: unknown; error?: unknown };
type Outcome = { kind: 'committed'; results: Result[] } | { kind: 'job-failed' | 'retry' | 'failed'; error: unknown };

/**
 * Group commit on Postgres: the write jobs that arrive while earlier batches are committing (or
 * within one event-loop turn) run in ONE transaction on one client, and each caller is answered
 * once THAT batch's COMMIT has returned — i.e. once it is durable on the server. A busy process
 * therefore pays one commit (and one WAL flush on the server) per batch, not per request, and the
 * batch grows with the load.
 *
 * Up to `inFlight` batches run at once, each on a client of its own: a batch's time is mostly
 * waiting (round trips, the server's WAL flush, the event loop getting back to each answer), so
 * with one batch at a time a process is capped by latency with both cores half idle
 * (bench/README.md, "Postgres group commit (h-pg, round 4)"). Batches in flight are concurrent
 * transactions, exactly like those of two processes: a later batch may commit first, and a row one
 * batch writes is locked against the others until it commits (a duplicate postback waits on the
 * unique key, then sees the stored row). No caller relies on commit order across jobs it did not
 * await: each one that needs an earlier write's effect awaits it first.
 *
 * A batch first runs without savepoints (no extra round trips). If one job fails, the transaction
 * is rolled back and the batch runs again with a savepoint per job, so the failing job fails alone
 * (and never another batch's callers). A deadlock or serialisation failure (two batches, of this
 * process or another, locking the same rows in a different order) rolls back and re-runs the whole
 * batch: jobs are generators built anew on each run.
 *
 * An unreachable or failing database (connection refused or lost, disk full, statement timeout)
 * rejects the batch's jobs with StorageUnavailableError — 503 STORAGE_UNAVAILABLE + Retry-After at
 * the HTTP edge, as a full disk does on SQLite — and the monitor counts it; the next batch simply
 * tries again on a fresh connection.
 */
export class PgGroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  private readonly running = new Set<Promise<void>>();
  maxBatch = 0;
  batches = 0;
  /** Most batches seen in flight at once, and batches run again after a deadlock (tests, bench). */
  maxInFlight = 0;
  retries = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: Promise<void>,
    private readonly monitor?: DependencyMonitor,
    /** Batches committing at once; keep it below the pool size so reads always find a client. */
    readonly inFlight = 2,
  ) {}

  run<T>(job: Job<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running.size >= this.inFlight) return;
    this.scheduled = true;
    // One event-loop turn's jobs join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      if (this.queue.length === 0 || this.running.size >= this.inFlight) return;
      const p: Promise<void> = this.flush().finally(() => {
        this.running.delete(p);
        if (this.queue.length > 0) this.schedule();
      });
      this.running.add(p);
      if (this.running.size > this.maxInFlight) this.maxInFlight = this.running.size;
    });
  }

  /** Resolves once everything queued so far is committed or failed. */
  async drain(): Promise<void> {
    while (this.running.size > 0 || this.scheduled || this.queue.length > 0) {
      if (this.running.size > 0) await Promise.all(this.running);
      else await new Promise((r) => setImmediate(r));
    }
  }

  private async flush(): Promise<void> {
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    this.batches++;
    if (jobs.length > this.maxBatch) this.maxBatch = jobs.length;
    let client: pg.PoolClient;
    try {
      await this.ready;
      client = await this.pool.connect();
    } catch (err) {
      const error = pgStorageError(err, this.monitor);
      for (const j of jobs) j.reject(error);
      return;
    }
    let broken = false;
    try {
      let savepoints = false;
      for (let round = 0; ; round++) {
        const outcome = await this.attempt(client, jobs, savepoints);
        if (outcome.kind === 'committed') {
          this.monitor?.succeeded();
          jobs.forEach((j, i) => {
            const r = outcome.results[i] as Result;
            if (r.ok) j.resolve(r.value);
            else j.reject(pgStorageError(r.error, this.monitor));
          });
          return;
        }
        if (outcome.kind === 'job-failed' && !savepoints) {
          savepoints = true;
          continue;
        }
        if (outcome.kind === 'retry' && round < 8) {
          // Another batch holds what we need in the opposite order: back off a little, run again.
          this.retries++;
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 10 * (round + 1)));
          continue;
        }
        broken = outcome.kind === 'failed';
        const error = pgStorageError(outcome.error, this.monitor);
        for (const j of jobs) j.reject(error);
        return;
      }
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  private async attempt(client: pg.PoolClient, jobs: Queued[], savepoints: boolean): Promise<Outcome> {
    // BEGIN is queued on the client together with the batch's first statement: node-postgres sends
    // a queued query as soon as the previous one's answer is in, without waiting for the event loop
    // to get back to this batch (under load one loop turn is a millisecond or more). BEGIN fails
    // only with the connection, and so does that statement; no later statement is sent after a
    // failed BEGIN, even if a job catches the error, and the batch never reaches COMMIT.
    const begin = client.query('BEGIN');
    let first = true;
    const exec = async (step: Parameters<typeof execStep>[1]) => {
      if (!first) {
        await begin;
        return execStep(client, step);
      }
      first = false;
      const [, value] = await Promise.all([begin, execStep(client, step)]);
      return value;
    };
    const results: Result[] = [];
    try {
      if (savepoints) await begin;
      for (const j of jobs) {
        if (!savepoints) {
          try {
            results.push({ ok: true, value: await runAsync(j.job(postgresDialect), exec) });
          } catch (error) {
            await client.query('ROLLBACK');
            return { kind: isRetryable(error) ? 'retry' : 'job-failed', error };
          }
          continue;
        }
        await client.query('SAVEPOINT job');
        try {
          results.push({ ok: true, value: await runAsync(j.job(postgresDialect), exec) });
          await client.query('RELEASE SAVEPOINT job');
        } catch (error) {
          if (isRetryable(error)) throw error;
          await client.query('ROLLBACK TO SAVEPOINT job');
          results.push({ ok: false, error });
        }
      }
      await begin;
      await client.query('COMMIT');
      return { kind: 'committed', results };
    } catch (error) {
      await begin.catch(() => undefined);
      await client.query('ROLLBACK').catch(() => undefined);
      return { kind: isRetryable(error) ? 'retry' : 'failed', error };
    }
  }
}
