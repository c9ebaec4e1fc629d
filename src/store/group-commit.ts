import type { SqliteDb } from './sqlite';

type Job = { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * Group commit: every write of the process is queued and, once per event-loop turn, all queued
 * writes run in ONE transaction (one fsync); each caller's promise settles only after that
 * commit. A job that throws is rolled back alone (a savepoint per job) and rejects alone.
 * This is what lets intake answer 200 only once the conversion and its outbox rows are on disk
 * without paying one fsync per request.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  private readonly batch: (jobs: Job[]) => void;
  private readonly one: (job: Job) => unknown;
  /** Largest batch seen, for the benchmark report. */
  maxBatch = 0;
  batches = 0;

  constructor(private readonly db: SqliteDb) {
    this.one = db.transaction((job: Job) => job.run());
    this.batch = db.transaction((jobs: Job[]) => {
      for (const job of jobs) {
        try {
          const value = this.one(job);
          (job as Job & { value?: unknown }).value = value;
        } catch (err) {
          (job as Job & { error?: unknown }).error = err;
        }
      }
    });
  }

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now. Also called at shutdown. */
  flush(): void {
    this.scheduled = false;
    const jobs = this.queue;
    if (jobs.length === 0) return;
    this.queue = [];
    this.batches++;
    if (jobs.length > this.maxBatch) this.maxBatch = jobs.length;
    try {
      this.batch(jobs);
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing of this batch is stored.
      for (const job of jobs) job.reject(err);
      return;
    }
    for (const job of jobs as Array<Job & { value?: unknown; error?: unknown }>) {
      if ('error' in job) job.reject(job.error);
      else job.resolve(job.value);
    }
  }
}
