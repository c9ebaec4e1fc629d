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

/**
 * Group commit on Postgres: the write jobs that arrive while the previous batch is committing (or
 * within one event-loop turn) run in ONE transaction on one client, and each caller is answered
 * once that COMMIT has returned — i.e. once it is durable on the server. A busy process therefore
 * pays one commit (and one WAL flush on the server) per batch, not per request, and the batch grows
 * with the load.
 *
 * A batch first runs without savepoints (no extra round trips). If one job fails, the transaction
 * is rolled back and the batch runs again with a savepoint per job, so the failing job fails alone.
 * A deadlock or serialisation failure (two processes locking the same rows in a different order)
 * rolls back and re-runs the whole batch: jobs are generators built anew on each run.
 *
 * An unreachable or failing database (connection refused or lost, disk full, statement timeout)
 * rejects the batch's jobs with StorageUnavailableError — 503 STORAGE_UNAVAILABLE + Retry-After at
 * the HTTP edge, as a full disk does on SQLite — and the monitor counts it; the next batch simply
 * tries again on a fresh connection.
 */
export class PgGroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  private running: Promise<void> | null = null;
  maxBatch = 0;
  batches = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: Promise<void>,
    private readonly monitor?: DependencyMonitor,
  ) {}

  run<T>(job: Job<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.flush().finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  /** Resolves once everything queued so far is committed or failed. */
  async drain(): Promise<void> {
    while (this.running || this.scheduled || this.queue.length > 0) {
      if (this.running) await this.running;
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
            const r = outcome.results[i] as { ok: boolean; value?: unknown; error?: unknown };
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
          // Another process holds what we need in the opposite order: back off a little, run again.
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

  private async attempt(
    client: pg.PoolClient,
    jobs: Queued[],
    savepoints: boolean,
  ): Promise<
    { kind: 'committed'; results: Array<{ ok: boolean; value?: unknown; error?: unknown }> } | { kind: 'job-failed' | 'retry' | 'failed'; error: unknown }
  > {
    const exec = (step: Parameters<typeof execStep>[1]) => execStep(client, step);
    const results: Array<{ ok: boolean; value?: unknown; error?: unknown }> = [];
    try {
      await client.query('BEGIN');
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
      await client.query('COMMIT');
      return { kind: 'committed', results };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return { kind: isRetryable(error) ? 'retry' : 'failed', error };
    }
  }
}
