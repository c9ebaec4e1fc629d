import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The engine the storage-dependent tests run on: `CLOSELOOP_TEST_ENGINE=postgres` (npm run
 * test:postgres) puts every test gateway on the machine's Postgres, each in a schema of its own
 * that is created on open and dropped when the test closes it (or when the test process ends).
 */
export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.CLOSELOOP_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_POSTGRES_URL = process.env.CLOSELOOP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const created = new Set<string>();

/**
 * A schema name for a test database path: the same path gives the same schema (restart tests
 * reopen "the same file"), an in-memory database a fresh one.
 */
export function testSchemaFor(dbPath: string): string {
  const seed = dbPath === ':memory:' ? randomBytes(8).toString('hex') : createHash('sha256').update(`${process.pid}:${dbPath}`).digest('hex');
  const name = `cl_test_${seed.slice(0, 16)}`;
  created.add(name);
  return name;
}

/** The storage section for a test: SQLite at `dbPath`, or Postgres in the schema for it. */
export function testStorage(dbPath: string): Record<string, unknown> {
  if (TEST_ENGINE === 'sqlite') return { sqlitePath: dbPath, synchronous: 'NORMAL' };
  return { engine: 'postgres', postgres: { url: TEST_POSTGRES_URL, poolSize: 4, schema: testSchemaFor(dbPath) } };
}

export async function dropTestSchema(schema: string | undefined): Promise<void> {
  if (!schema) return;
  created.delete(schema);
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

// Schemas of gateways a test opened itself and never handed back: dropped once the test file is done.
process.once('beforeExit', () => {
  if (created.size === 0) return;
  void Promise.allSettled([...created].map((s) => dropTestSchema(s)));
});
