import assert from 'node:assert/strict';
import { fdatasync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StorageUnavailableError } from '../../health/unavailable';
import { GroupCommit } from './group-commit';
import { openSqlite, walToSync } from './sqlite-engine';

// The group commit's sync policies beside the default of one sync in flight (group-commit.test.ts):
// committing while a sync runs, and a second sync beside a slow one. The fdatasync is held by the
// test (`pending`), so each step's order is the test's.
const dir = mkdtempSync(join(tmpdir(), 'closeloop-gc-overlap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Held = Array<(err?: NodeJS.ErrnoException) => void>;

function setup(name: string) {
  const path = join(dir, name);
  const db = openSqlite(path);
  db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
  const pending: Held = [];
  const writer = new GroupCommit(db, {
    syncWal: walToSync(path, 'FULL'),
    fdatasync: (fd, cb) => pending.push((err) => (err ? cb(err) : fdatasync(fd, cb))),
  });
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const settled: string[] = [];
  const write = (k: string) =>
    writer
      .run(() => insert.run(k, 1))
      .then(
        () => settled.push(k),
        (err: unknown) => {
          settled.push(`${k}!`);
          throw err;
        },
      );
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
  return { db, writer, pending, settled, write, count };
}

const turn = () => new Promise((r) => setImmediate(r));
/** Lets every held sync run, as they come (a returning sync may start another), until `done` settles. */
async function release(pending: Held, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  while (!settled) {
    pending.shift()?.();
    await new Promise((r) => setTimeout(r, 1));
  }
  await done;
}
const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });

test('commitWhileSyncing: a batch commits beside the running sync, is answered only after the next one, which starts the moment the first returns', async () => {
  const { db, writer, pending, settled, write, count } = setup('during.db');
  writer.commitWhileSyncing = 1;
  const first = write('a');
  writer.flush();
  const later = [write('b'), write('c')];
  await turn();
  assert.equal(count(), 3, 'the queued writes are committed while the sync runs');
  assert.equal(pending.length, 1, 'but no second sync beside the first');
  pending.shift()?.();
  await first;
  assert.deepEqual(settled, ['a'], 'what committed during the sync is not answered by it');
  assert.equal(pending.length, 1, 'its own sync started when the first returned');
  pending.shift()?.();
  await Promise.all(later);
  assert.deepEqual(settled, ['a', 'b', 'c']);
  await writer.drain();
  db.close();
});

test('commitWhileSyncing: what committed during a failed sync fails with it (not known to be on disk), then the next write recovers', async () => {
  const { db, writer, pending, settled, write, count } = setup('during-fail.db');
  writer.commitWhileSyncing = 1;
  const isUnavailable = (err: unknown) => err instanceof StorageUnavailableError;
  const first = write('a');
  writer.flush();
  const during = write('b');
  await turn();
  assert.equal(count(), 2);
  pending.shift()?.(eio());
  await assert.rejects(first, isUnavailable);
  await assert.rejects(during, isUnavailable);
  assert.equal(pending.length, 0, 'no sync is started for writes that already failed');
  const next = write('c');
  await turn();
  pending.shift()?.();
  await next;
  assert.deepEqual(settled, ['a!', 'b!', 'c']);
  db.close();
});

test('overlapAfterMs: a batch waits for a young sync, starts a second beside an old one, never a third', async () => {
  const { db, writer, pending, write } = setup('overlap.db');
  writer.overlapAfterMs = 30;
  const writes = [write('a')];
  writer.flush();
  writes.push(write('b'));
  await turn();
  assert.equal(pending.length, 1, 'the running sync is young: the batch waits');
  await new Promise((r) => setTimeout(r, 40));
  writes.push(write('c'));
  await turn();
  assert.equal(pending.length, 2, 'the running sync is old: a second starts beside it');
  await new Promise((r) => setTimeout(r, 40));
  writes.push(write('d'));
  await turn();
  assert.equal(pending.length, 2, 'never a third');
  await release(pending, Promise.all(writes));
  await writer.drain();
  db.close();
});

test('overlap: a sync that started before another failed fails too, even if it reports success', async () => {
  const { db, writer, pending, settled, write } = setup('overlap-fail.db');
  writer.overlapAfterMs = 0;
  const first = write('a');
  writer.flush();
  const second = write('b');
  await turn();
  assert.equal(pending.length, 2);
  const [one, two] = pending.splice(0, 2);
  one?.(eio());
  await assert.rejects(first, StorageUnavailableError);
  two?.(); // the failed writeback may have held b's pages: the kernel reports an error once
  await assert.rejects(second, StorageUnavailableError);
  const next = write('c');
  await turn();
  pending.shift()?.();
  await next;
  assert.deepEqual(settled, ['a!', 'b!', 'c']);
  db.close();
});

test('overlapAfterUsual: the threshold follows a moving average of the syncs that ran alone', async () => {
  const { db, writer, pending, write } = setup('usual.db');
  writer.overlapAfterUsual = 2;
  writer.usualSyncMs = 10;
  const writes = [write('a')];
  writer.flush();
  writes.push(write('b'));
  await new Promise((r) => setTimeout(r, 5));
  writes.push(write('c'));
  await turn();
  assert.equal(pending.length, 1, 'under twice the usual sync: wait');
  await new Promise((r) => setTimeout(r, 25));
  writes.push(write('d'));
  await turn();
  assert.equal(pending.length, 2, 'over twice the usual sync: a second beside it');
  pending.shift()?.();
  await turn();
  assert.ok(writer.usualSyncMs === 10, 'a sync that another overlapped does not move the average');
  await release(pending, Promise.all(writes));
  await writer.drain();
  db.close();
});
