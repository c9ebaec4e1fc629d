import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { PgGroupCommit } from '../src/store/postgres/pg-group-commit';
import { openPgPool } from '../src/store/postgres/pg-pool';
import { q, type Job } from '../src/store/sql-steps';
import { dropTestSchema, TEST_ENGINE, TEST_POSTGRES_URL, testSchemaFor } from './helpers/engine';

/**
 * The Postgres group commit with several batches in flight (src/store/postgres/pg-group-commit.ts):
 * a batch commits while an earlier one is still waiting, a failing job fails alone and never the
 * callers of the other batch, and two batches of one process that lock rows crosswise (a
 * deadlock, as between two processes) both end up committed.
 */
const skip = TEST_ENGINE !== 'postgres' && 'runs with CLOSELOOP_TEST_ENGINE=postgres (npm run test:postgres)';
const schema = testSchemaFor(':memory:');
let pool: pg.Pool;
// Holds the row `gate` locked from outside, so a job that updates it waits until `open()`.
let gate: pg.Client;

before(async () => {
  if (skip) return;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.query(`CREATE TABLE "${schema}".t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`);
  await admin.end();
  pool = openPgPool({ url: TEST_POSTGRES_URL, poolSize: 4, statementTimeoutMs: 20_000, schema });
  gate = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
  await gate.connect();
});

after(async () => {
  if (skip) return;
  await gate.end();
  await pool.end();
  await dropTestSchema(schema);
});

const insert = (k: string, v = 1): Job<string> =>
  function* () {
    yield* q.run('INSERT INTO t (k, v) VALUES (?, ?)', k, v);
    return k;
  };
const bump = (...keys: string[]): Job<string> =>
  function* () {
    for (const k of keys) {
      yield* q.run('UPDATE t SET v = v + 1 WHERE k = ?', k);
      // Gives the other batch time to lock its first row: the crosswise order then deadlocks.
      if (keys.length > 1) yield* q.get('SELECT pg_sleep(0.2)');
    }
    return keys.join('+');
  };
const failing: Job<never> = function* () {
  yield* q.get('SELECT 1 / 0 AS x');
  throw new Error('unreachable');
};

const turn = () => new Promise((r) => setImmediate(r));
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
const keys = async () => (await pool.query<{ k: string; v: number }>('SELECT k, v FROM t ORDER BY k')).rows.map((r) => `${r.k}=${r.v}`);

async function closeGate() {
  await pool.query('DELETE FROM t');
  await pool.query("INSERT INTO t (k, v) VALUES ('gate', 0)");
  await gate.query('BEGIN');
  await gate.query("SELECT v FROM t WHERE k = 'gate' FOR UPDATE");
}

test('a second batch commits and answers while the first still waits; a failing job in either batch fails alone', { skip }, async () => {
  await closeGate();
  const writer = new PgGroupCommit(pool, Promise.resolve(), undefined, 2);
  // Batch 1: a job stuck behind the gate's row lock, and one that fails.
  const a1 = writer.run(bump('gate'));
  const a2 = writer.run(failing);
  const first = Promise.allSettled([a1, a2]);
  await turn();
  // Batch 2, formed while batch 1 is in flight: two good jobs around a failing one.
  const second = Promise.allSettled([writer.run(insert('b1')), writer.run(failing), writer.run(insert('b3'))]);
  const b = await within(second, 5_000, 'the second batch (serialised behind the first?)');
  assert.deepEqual(
    b.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.match(String((b[1] as PromiseRejectedResult).reason), /division by zero/);
  assert.equal(writer.maxInFlight, 2);
  assert.deepEqual(await keys(), ['b1=1', 'b3=1', 'gate=0'], "batch 2's rows are committed, batch 1's are not");
  let settled = false;
  void first.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false, 'the first batch still waits on the gate');

  await gate.query('COMMIT');
  const a = await within(first, 10_000, 'the first batch');
  assert.deepEqual(
    a.map((r) => r.status),
    ['fulfilled', 'rejected'],
  );
  assert.match(String((a[1] as PromiseRejectedResult).reason), /division by zero/);
  assert.deepEqual(await keys(), ['b1=1', 'b3=1', 'gate=1']);
  await writer.drain();
});

test('with one batch in flight, the second batch waits for the first one', { skip }, async () => {
  await closeGate();
  const writer = new PgGroupCommit(pool, Promise.resolve(), undefined, 1);
  const first = writer.run(bump('gate'));
  await turn();
  const second = writer.run(insert('b1'));
  await assert.rejects(within(second, 300, 'second'), /not settled/);
  await gate.query('COMMIT');
  assert.equal(await first, 'gate');
  assert.equal(await second, 'b1');
  assert.equal(writer.maxInFlight, 1);
});

test('two batches of one process locking rows crosswise deadlock; the one Postgres cancels runs again and both commit', { skip }, async () => {
  await pool.query('DELETE FROM t');
  await pool.query("INSERT INTO t (k, v) VALUES ('x', 0), ('y', 0)");
  const writer = new PgGroupCommit(pool, Promise.resolve(), undefined, 2);
  const xy = writer.run(bump('x', 'y'));
  await turn();
  const yx = writer.run(bump('y', 'x'));
  assert.deepEqual(await within(Promise.all([xy, yx]), 15_000, 'the crosswise batches'), ['x+y', 'y+x']);
  assert.equal(writer.maxInFlight, 2);
  assert.ok(writer.retries >= 1, 'Postgres cancelled one of them (40P01) and it ran again');
  assert.deepEqual(await keys(), ['x=2', 'y=2']);
});
