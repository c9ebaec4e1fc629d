import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { migrate } from '../migrations';
import { GroupCommit } from './group-commit';
import { openSqlite } from './sqlite-engine';
import { SqliteKeyvAdapter } from './sqlite-keyv-adapter';

const dir = mkdtempSync(join(tmpdir(), 'closeloop-kv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const db = openSqlite(join(dir, name));
  migrate(db);
  const writer = new GroupCommit(db);
  return { db, writer, kv: new SqliteKeyvAdapter(db, writer) };
}

test('the clicks of one event-loop turn are stored by one statement in one commit, and all of them are read back', async () => {
  const { db, writer, kv } = open('turn.db');
  const keys = Array.from({ length: 120 }, (_, i) => `click:${i}`);
  const answers = await Promise.all(keys.map((k) => kv.set(k, `{"v":"${k}"}`, 60_000)));
  assert.ok(answers.every((a) => a === true));
  assert.equal(writer.batches, 1, 'one commit');
  assert.equal(writer.maxBatch, 1, 'one job (one multi-row statement) for the whole turn');
  db.close();
  const again = open('turn.db');
  for (const k of keys) assert.equal(await again.kv.get(k), `{"v":"${k}"}`);
  again.db.close();
});

test('within one turn, the later of two sets of a key wins, and a delete between sets keeps its place', async () => {
  const { db, kv } = open('order.db');
  await Promise.all([kv.set('a', '1'), kv.set('b', '1'), kv.set('a', '2')]);
  assert.equal(await kv.get('a'), '2');
  await Promise.all([kv.set('b', '2'), kv.delete('b'), kv.set('c', '1'), kv.set('b', '3')]);
  assert.equal(await kv.get('b'), '3', 'set, delete, set: the last set stands');
  assert.equal(await kv.get('c'), '1');
  await Promise.all([kv.set('d', '1'), kv.delete('d')]);
  assert.equal(await kv.get('d'), undefined, 'set, then delete: gone');
  db.close();
});

test('more sets in a turn than one statement takes are split into several statements, all stored', async () => {
  const { db, writer, kv } = open('many.db');
  const keys = Array.from({ length: 1_234 }, (_, i) => `k${i}`);
  await Promise.all(keys.map((k) => kv.set(k, k)));
  assert.equal(writer.batches, 1);
  assert.equal(writer.maxBatch, 3, '500 + 500 + 234 rows');
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM kv').get() as { n: number }).n, keys.length);
  db.close();
});

test('turns of 1 to 130 sets prepare one upsert per bucket of row counts, not one per turn size, and store exactly their values', async () => {
  const { db, kv } = open('buckets.db');
  let next = 0;
  for (let n = 1; n <= 130; n++) {
    const keys = Array.from({ length: n }, () => `k${next++}`);
    // The turn's last key is set twice: the padding repeats its later value.
    await Promise.all([...keys.map((k) => kv.set(k, 'old')), kv.set(keys[0] as string, 'first'), kv.set(keys[n - 1] as string, 'last')]);
    assert.equal(await kv.get(keys[n - 1] as string), 'last');
    assert.equal(await kv.get(keys[0] as string), n === 1 ? 'last' : 'first');
  }
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM kv').get() as { n: number }).n, next, 'no row more than was set');
  const prepared = (kv as unknown as { setStmts: Map<number, unknown> }).setStmts.size;
  assert.ok(prepared <= 14, `${prepared} upserts prepared for 130 turn sizes`);
  db.close();
});
