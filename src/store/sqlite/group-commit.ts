import { closeSync, fdatasync, openSync } from 'node:fs';
import type { DependencyMonitor } from '../../health/monitor';
import { isStorageFailure, StorageUnavailableError } from '../../health/unavailable';
import type { SqliteDb } from './sqlite-engine';

type Job = {
  run: () => unknown;
  /** One statement: SQLite undoes a failed statement alone, so the job needs no savepoint of its own. */
  single: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  value?: unknown;
  error?: unknown;
};

export interface GroupCommitOptions {
  /**
   * The WAL file to fdatasync after every commit, before any caller of that commit is answered.
   * The sync runs on libuv's thread pool, so the event loop keeps serving requests meanwhile.
   * null: commits are not synced (safe against a crashed process, not a lost machine).
   */
  syncWal?: string | null;
  /** Counts and logs storage failures (disk full, I/O errors) once per episode; /readyz reads it. */
  monitor?: DependencyMonitor;
  /** The fdatasync to use; a seam for tests of a failing disk. */
  fdatasync?: (fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => void;
}

/**
 * Group commit: every write of the process is queued and, once per event-loop turn (or, while a
 * WAL sync runs, the moment it returns), all queued writes run in ONE transaction; each caller's promise settles only after that transaction is
 * committed AND its WAL is on disk. A job that throws is rolled back alone (a savepoint per job, or
 * SQLite's own statement rollback for a one-statement job: `runStatement`) and rejects alone. This is what lets intake answer 200 only once the conversion and its outbox
 * rows are durable without paying one fsync per request, or blocking the event loop on any.
 *
 * Why the sync is ours and not SQLite's: with `synchronous = FULL` SQLite fsyncs inside COMMIT,
 * on the thread that runs it — here the event loop (measured: blocked 40 % of the time under
 * load). The connection runs `synchronous = NORMAL` instead, which in WAL mode still syncs the
 * WAL before each checkpoint and the database after it (https://sqlite.org/pragma.html#pragma_synchronous),
 * and we fdatasync the WAL ourselves, asynchronously, after each group commit: the same
 * guarantee as FULL for every acknowledged write.
 *
 * Each batch is a `BEGIN IMMEDIATE` transaction: it takes the write lock before its first read. A
 * deferred transaction that reads first and writes second cannot wait for another process's
 * write lock — SQLite answers SQLITE_BUSY at once, busy_timeout or not, because its snapshot is
 * stale (https://sqlite.org/lang_transaction.html, https://sqlite.org/wal.html#sometimes_queries_return_sqlite_busy_in_wal_mode).
 * IMMEDIATE waits in busy_timeout instead, so processes sharing the file queue rather than fail.
 *
 * A write the disk cannot take (SQLITE_FULL, SQLITE_IOERR, a failed fdatasync) rejects with
 * `StorageUnavailableError` (503 + Retry-After at the HTTP edge), is counted by the monitor, and
 * the next batch simply tries again: recovery needs no restart.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  private readonly batch: (jobs: Job[]) => void;
  private readonly one: (job: Job) => unknown;
  private walFd: number | null = null;
  private readonly syncing = new Set<Promise<void>>();
  /**
   * A WAL fdatasync is running. The next batch waits for it instead of committing and starting a
   * second sync beside it: concurrent fdatasyncs of one file queue in the kernel anyway (the
   * second waits for the first's writeback and cache flush), so overlapping them bought no
   * latency and cost a commit (its WAL frames, its statements) and a sync per event-loop turn.
   * Waiting makes the batch as large as the disk is slow: the commits follow the disk.
   */
  private syncInFlight = false;
  /** Diagnostics (bench/servers/gateway.ts BENCH_OVERLAP_SYNCS=1): false overlaps syncs as before. */
  serialSyncs = true;
  /**
   * Test seam: runs inside each batch's transaction, after its jobs; a throw fails the batch as a
   * full disk would at COMMIT (nothing of it stored). Tests of the HTTP answers set it; nothing else.
   */
  beforeCommit: (() => void) | null = null;
  /** For the benchmark report. */
  maxBatch = 0;
  /** Benchmark diagnostics (bench/servers/gateway.ts BENCH_DIAG): each WAL fdatasync's duration, ms, and its batch size. */
  syncObserver: ((ms: number, jobs: number) => void) | null = null;
  batches = 0;

  constructor(
    db: SqliteDb,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.one = db.transaction((job: Job) => job.run());
    const batch = db.transaction((jobs: Job[]) => {
      for (const job of jobs) {
        try {
          job.value = job.single ? job.run() : this.one(job);
        } catch (err) {
          // SQLITE_FULL, SQLITE_IOERR and friends may roll back the WHOLE transaction
          // (https://sqlite.org/lang_transaction.html "Response To Errors Within A Transaction"):
          // the jobs after this one would then run in autocommit, each committed on its own, and
          // be answered as failed. Fail the batch instead; nothing of it is stored.
          if (!db.inTransaction) throw err;
          job.error = err;
        }
      }
      this.beforeCommit?.();
    });
    this.batch = (jobs) => batch.immediate(jobs);
  }

  run<T>(fn: () => T): Promise<T> {
    return this.enqueue(fn, false);
  }

  /**
   * A job that runs exactly ONE statement. It joins the batch without a savepoint (two statements
   * fewer per job): a statement that fails — a constraint, or an I/O error SQLite recovers from —
   * is backed out alone and the transaction stays active (https://sqlite.org/lang_conflict.html
   * ABORT, https://sqlite.org/lang_transaction.html "Response To Errors Within A Transaction"), which
   * is all a savepoint around it would give. A job with two statements must use `run`.
   */
  runStatement<T>(fn: () => T): Promise<T> {
    return this.enqueue(fn, true);
  }

  private enqueue<T>(fn: () => T, single: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, single, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now (the answers follow once the WAL is synced). */
  flush(): void {
    this.scheduled = false;
    const jobs = this.queue;
    if (jobs.length === 0) return;
    // One WAL fdatasync in flight at a time: what is queued meanwhile commits as ONE batch the
    // moment that sync returns (see `syncInFlight`).
    if (this.syncInFlight && this.serialSyncs) return;
    this.queue = [];
    this.batches++;
    if (jobs.length > this.maxBatch) this.maxBatch = jobs.length;
    try {
      this.batch(jobs);
    } catch (err) {
      // The commit itself failed (disk full, I/O error): nothing of this batch is stored.
      const error = this.storageError(err);
      for (const job of jobs) job.reject(error);
      return;
    }
    const settle = (syncError?: unknown) => {
      const failed = syncError ? this.storageError(syncError) : undefined;
      let ok = !failed;
      for (const job of jobs) {
        if (failed) job.reject(failed);
        else if ('error' in job) {
          // A job's own error (a constraint, a bug) is its own; a full disk is everyone's.
          const error = this.storageError(job.error);
          if (error !== job.error) ok = false;
          job.reject(error);
        } else job.resolve(job.value);
      }
      if (ok) this.options.monitor?.succeeded();
    };
    let fd: number | null;
    try {
      fd = this.wal();
    } catch (err) {
      settle(err);
      return;
    }
    if (fd === null) {
      settle();
      return;
    }
    const observe = this.syncObserver;
    const started = observe ? performance.now() : 0;
    this.syncInFlight = true;
    const sync = new Promise<void>((done) => {
      (this.options.fdatasync ?? fdatasync)(fd, (err) => {
        observe?.(performance.now() - started, jobs.length);
        this.syncInFlight = false;
        // Not known to be on disk: the callers get an error and the network retries; the retry
        // finds the stored row and answers duplicate, so nothing is lost or doubled.
        settle(err ?? undefined);
        done();
        // The writes that queued behind this sync: their batch and its sync start now.
        this.flush();
      });
    });
    this.syncing.add(sync);
    void sync.then(() => this.syncing.delete(sync));
  }

  /** Flushes the queue and waits for every pending sync (shutdown). */
  async drain(): Promise<void> {
    this.flush();
    // A sync that ends flushes what queued behind it, which starts another.
    while (this.syncing.size > 0) await Promise.all([...this.syncing]);
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }

  /** A storage-class failure becomes StorageUnavailableError (counted once); others pass as they are. */
  private storageError(err: unknown): unknown {
    if (!isStorageFailure(err)) return err;
    this.options.monitor?.failed(err);
    return err instanceof StorageUnavailableError ? err : new StorageUnavailableError(err);
  }

  private wal(): number | null {
    if (!this.options.syncWal) return null;
    // The WAL exists from the first commit on and keeps its inode while the database is open
    // (a checkpoint restarts it in place), so one descriptor serves for the process's life.
    this.walFd ??= openSync(this.options.syncWal, 'r');
    return this.walFd;
  }
}
