import assert from 'node:assert/strict';
import { fdatasync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DependencyMonitor } from '../../health/monitor';
import { StorageUnavailableError } from '../../health/unavailable';
import { createLogger } from '../../logger';
import { GroupCommit } from './group-commit';
import { openSqlite, walToSync } from './sqlite-engine';

const dir = mkdtempSync(join(tmpdir(), 'closeloop-gc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const db = openSqlite(join(dir, name));
  db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  return db;
}

test('a one-statement job (no savepoint) that fails takes none of its rows and nothing of its neighbours', async () => {
  const path = 'statement.db';
  const db = open(path);
  const writer = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const two = db.prepare('INSERT INTO t (k, v) VALUES (?, ?), (?, ?)');
  const results = await Promise.allSettled([
    writer.runStatement(() => insert.run('a', 1).changes),
    // Its first row is new, its second collides with 'a': the statement is backed out whole.
    writer.runStatement(() => two.run('b', 2, 'a', 99).changes),
    writer.runStatement(() => insert.run('c', 3).changes),
    writer.run(() => insert.run('d', 4).changes),
  ]);
  assert.equal(writer.batches, 1, 'one transaction for the whole tick');
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
  db.close();
  const again = open(path);
  assert.deepEqual(again.prepare('SELECT k, v FROM t ORDER BY k').all(), [
    { k: 'a', v: 1 },
    { k: 'c', v: 3 },
    { k: 'd', v: 4 },
  ]);
  again.close();
});

test('every write queued in one tick commits in one transaction; a failing job rejects alone', async () => {
  const path = 'batch.db';
  const db = open(path);
  const writer = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const results = await Promise.allSettled([
    writer.run(() => insert.run('a', 1).changes),
    writer.run(() => {
      insert.run('b', 2); // written, then rolled back with its savepoint
      insert.run('a', 99); // UNIQUE violation
    }),
    writer.run(() => {
      throw new Error('job failed');
    }),
    writer.run(() => insert.run('c', 3).changes),
    writer.run(() => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n),
  ]);
  assert.equal(writer.batches, 1, 'one transaction for the whole tick');
  assert.equal(writer.maxBatch, 5);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
  );
  assert.equal((results[0] as PromiseFulfilledResult<number>).value, 1);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE/);
  assert.match(String((results[2] as PromiseRejectedResult).reason), /job failed/);
  assert.equal((results[4] as PromiseFulfilledResult<number>).value, 2, 'a later job sees earlier jobs of the same batch, not the rolled-back one');

  // The next tick is a new transaction.
  await writer.run(() => insert.run('d', 4));
  assert.equal(writer.batches, 2);
  db.close();

  // Reopening the file: the committed rows are there, the failed job left nothing.
  const again = open(path);
  assert.deepEqual(again.prepare('SELECT k, v FROM t ORDER BY k').all(), [
    { k: 'a', v: 1 },
    { k: 'c', v: 3 },
    { k: 'd', v: 4 },
  ]);
  again.close();
});

test('a promise settles only after its commit; flush() runs what is queued', async () => {
  const db = open('flush.db');
  const writer = new GroupCommit(db);
  let settled = false;
  const p = writer
    .run(() => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('x', 1))
    .then(() => {
      settled = true;
    });
  assert.equal(settled, false);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 0, 'nothing written before the tick');
  writer.flush();
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 1);
  await p;
  assert.equal(settled, true);
  assert.equal(writer.batches, 1);
  writer.flush(); // nothing queued: no empty transaction
  assert.equal(writer.batches, 1);
  await new Promise((r) => setImmediate(r)); // the scheduled flush finds an empty queue
  assert.equal(writer.batches, 1);
  db.close();
});

test('when the commit itself fails, every job of the batch rejects and nothing is stored', async () => {
  const db = open('commit-fail.db');
  const writer = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  // A deferred foreign key fails at COMMIT, not at the statement.
  db.exec('PRAGMA foreign_keys = ON; CREATE TABLE child (id INTEGER PRIMARY KEY, parent TEXT REFERENCES t (k) DEFERRABLE INITIALLY DEFERRED)');
  const results = await Promise.allSettled([
    writer.run(() => insert.run('ok', 1)),
    writer.run(() => db.prepare('INSERT INTO child (id, parent) VALUES (1, ?)').run('missing')),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 0);
  // The writer keeps working afterwards.
  await writer.run(() => insert.run('later', 2));
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 1);
  db.close();
});

test('with syncWal, callers are answered only after the WAL is fdatasynced, off the event loop; drain waits', async () => {
  const path = join(dir, 'synced.db');
  const db = open('synced.db');
  const writer = new GroupCommit(db, { syncWal: walToSync(path, 'FULL') });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  let settled = false;
  const p = writer
    .run(() => insert.run('s1', 1))
    .then(() => {
      settled = true;
    });
  writer.flush();
  // Committed (visible to this connection) but not acknowledged: the sync runs on the thread pool.
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 1);
  assert.equal(settled, false, 'not answered in the same tick as the commit');
  await p;
  assert.equal(settled, true);
  const late = writer.run(() => insert.run('s2', 2));
  await writer.drain();
  await late;
  db.close();
  assert.equal(walToSync(':memory:', 'FULL'), null);
  assert.equal(walToSync(path, 'NORMAL'), null);
});

test('a WAL that cannot be opened fails the batch loudly instead of answering unsynced', async () => {
  const db = open('nowal.db');
  const writer = new GroupCommit(db, { syncWal: join(dir, 'no-such-dir', 'x-wal') });
  await assert.rejects(
    writer.run(() => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('w', 1)),
    /ENOENT/,
  );
  db.close();
});

// --- issue 7: several processes on one file, a full disk, a failing fsync ----------------------

const silent = createLogger('silent');

test('a batch that reads before it writes does not fail when another connection wrote in between (BEGIN IMMEDIATE)', async () => {
  const path = join(dir, 'immediate.db');
  const db = open('immediate.db');
  const other = openSqlite(path);
  other.pragma('busy_timeout = 0');
  const writer = new GroupCommit(db);
  db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('counter', 0);
  let otherWrote: boolean | null = null;
  // The job reads, then another process writes, then the job writes: in a deferred transaction the
  // job's snapshot is stale and SQLite answers SQLITE_BUSY at once. With BEGIN IMMEDIATE the job
  // holds the write lock from the start, so it is the other writer that has to wait.
  const v = await writer.run(() => {
    const { v } = db.prepare("SELECT v FROM t WHERE k = 'counter'").get() as { v: number };
    try {
      other.prepare("UPDATE t SET v = v + 100 WHERE k = 'counter'").run();
      otherWrote = true;
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'SQLITE_BUSY');
      otherWrote = false;
    }
    db.prepare("UPDATE t SET v = ? WHERE k = 'counter'").run(v + 1);
    return v + 1;
  });
  assert.equal(v, 1);
  assert.equal(otherWrote, false, 'the other connection waited for the lock (busy), the batch did not fail');
  other.prepare("UPDATE t SET v = v + 100 WHERE k = 'counter'").run(); // free again after the commit
  assert.equal((db.prepare("SELECT v FROM t WHERE k = 'counter'").get() as { v: number }).v, 101);
  other.close();
  db.close();
});

test('a full disk (SQLITE_FULL) rejects with STORAGE_UNAVAILABLE, is counted once per episode, and recovers by itself', async () => {
  const db = open('full.db');
  const monitor = new DependencyMonitor('ledger', silent);
  const writer = new GroupCommit(db, { monitor });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  await writer.run(() => insert.run('before', 1));
  // SQLite reports SQLITE_FULL when the file would grow past max_page_count: a full disk, on demand.
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  const big = 'x'.repeat(64 * 1024);
  const results = await Promise.allSettled([
    writer.run(() => insert.run('small', 2)),
    writer.run(() => insert.run('big', big)), // TEXT in a flexibly typed column: 64 KiB of pages
    writer.run(() => insert.run('after', 3)),
  ]);
  const big2 = results[1] as PromiseRejectedResult;
  assert.equal(big2.status, 'rejected');
  assert.ok(big2.reason instanceof StorageUnavailableError, `rejected with ${big2.reason}`);
  assert.equal(big2.reason.status, 503);
  assert.equal(big2.reason.code, 'STORAGE_UNAVAILABLE');
  assert.equal(monitor.healthy, false);
  assert.equal(monitor.snapshot().episodes, 1);
  // Whatever SQLite rolled back, nothing is claimed stored that is not.
  const stored = new Set((db.prepare('SELECT k FROM t').all() as Array<{ k: string }>).map((r) => r.k));
  for (const [i, r] of results.entries()) {
    const k = ['small', 'big', 'after'][i] as string;
    assert.equal(r.status === 'fulfilled', stored.has(k), `${k}: answered ${r.status}, stored ${stored.has(k)}`);
  }
  await assert.rejects(
    writer.run(() => insert.run('big2', big)),
    StorageUnavailableError,
  );
  assert.equal(monitor.snapshot().episodes, 1, 'a second failure is the same episode');
  assert.ok(monitor.snapshot().failures >= 2);

  db.pragma('max_page_count = 1073741823'); // space again
  await writer.run(() => insert.run('big', big));
  assert.equal(monitor.healthy, true, 'the next good commit ends the episode');
  db.close();
});

test('a failing fdatasync (EIO/ENOSPC) is not an acknowledged write: STORAGE_UNAVAILABLE, then recovery', async () => {
  const path = join(dir, 'fsync.db');
  const db = open('fsync.db');
  const monitor = new DependencyMonitor('ledger', silent);
  let fail = true;
  const writer = new GroupCommit(db, {
    syncWal: walToSync(path, 'FULL'),
    monitor,
    fdatasync: (fd, cb) =>
      fail ? setImmediate(() => cb(Object.assign(new Error('ENOSPC: no space left on device, fdatasync'), { code: 'ENOSPC' }))) : fdatasync(fd, cb),
  });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  await assert.rejects(
    writer.run(() => insert.run('a', 1)),
    (err: unknown) => err instanceof StorageUnavailableError && err.code === 'STORAGE_UNAVAILABLE',
  );
  assert.equal(monitor.healthy, false);
  fail = false;
  await writer.run(() => insert.run('b', 2));
  assert.equal(monitor.healthy, true);
  await writer.drain();
  db.close();
});

test('one WAL fdatasync at a time: writes queued while it runs wait, then commit as ONE batch with its own sync', async () => {
  const path = join(dir, 'serial.db');
  const db = open('serial.db');
  const pending: Array<() => void> = [];
  const writer = new GroupCommit(db, { syncWal: walToSync(path, 'FULL'), fdatasync: (fd, cb) => pending.push(() => fdatasync(fd, cb)) });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
  const settled: string[] = [];
  const first = writer.run(() => insert.run('s1', 1)).then(() => settled.push('s1'));
  writer.flush();
  assert.equal(pending.length, 1, 'the first batch is committed and its sync started');
  const later = [2, 3, 4].map((v) => writer.run(() => insert.run(`s${v}`, v)).then(() => settled.push(`s${v}`)));
  await new Promise((r) => setImmediate(r)); // the scheduled flush runs, and waits for the sync
  assert.equal(count(), 1, 'nothing committed beside a running sync');
  assert.equal(pending.length, 1, 'no second sync beside the first');
  pending.shift()?.();
  await first;
  assert.equal(count(), 4, 'the queued writes committed the moment the sync returned');
  assert.equal(writer.batches, 2, 'in one batch');
  assert.deepEqual(settled, ['s1'], 'and are not answered before their own sync');
  assert.equal(pending.length, 1);
  const drained = writer.drain();
  pending.shift()?.();
  await Promise.all([...later, drained]);
  assert.deepEqual(settled, ['s1', 's2', 's3', 's4']);
  db.close();
});
