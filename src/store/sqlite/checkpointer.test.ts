import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startCheckpointer } from './checkpointer';
import { openSqlite } from './sqlite-engine';

const dir = mkdtempSync(join(tmpdir(), 'closeloop-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fill(db: ReturnType<typeof openSqlite>): void {
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const many = db.transaction(() => {
    for (let i = 0; i < 100; i++) insert.run('x'.repeat(1000));
  });
  for (let i = 0; i < 20; i++) many(); // ~2 MB of pages, all in the WAL at first
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

test('the worker copies the WAL into the database file; the main connection never checkpoints', async () => {
  // Control: auto-checkpoint off and no worker — the pages stay in the WAL.
  const controlPath = join(dir, 'control.db');
  const control = openSqlite(controlPath);
  control.pragma('wal_autocheckpoint = 0');
  fill(control);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(statSync(controlPath).size < 100_000, `control db file ${statSync(controlPath).size} bytes`);
  control.close();

  const path = join(dir, 'worker.db');
  const db = openSqlite(path);
  const errors: string[] = [];
  const cp = startCheckpointer(db, path, 20, (m) => errors.push(m));
  assert.ok(cp);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
  fill(db);
  assert.ok(await until(() => statSync(path).size > 1_500_000, 5000), `db file ${statSync(path).size} bytes: the worker did not checkpoint`);
  await cp.stop();
  await cp.stop(); // idempotent
  assert.deepEqual(errors, []);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 2000);
  db.close();
  assert.equal(startCheckpointer(openSqlite(':memory:'), ':memory:'), null, 'nothing to checkpoint in memory');
});
