import type pg from 'pg';
import { postgresDialect } from '../dialect';
import { MIGRATIONS } from '../migrations';

/** A number of our own: the advisory lock that makes concurrent starts migrate one at a time. */
const MIGRATION_LOCK = 0x636c6f73; // "clos"

/**
 * The versioned migrations of src/store/migrations.ts — the same list SQLite runs — rendered for
 * Postgres by the dialect. Several processes starting at once take turns on an advisory lock
 * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS); each migration
 * and its schema_migrations row commit together (Postgres DDL is transactional).
 */
export async function migratePostgres(pool: pg.Pool, schema?: string, now = Date.now()): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      // Under the lock: two processes' CREATE SCHEMA IF NOT EXISTS at the same moment can both
      // miss the schema and the second fails on pg_namespace's unique index.
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(postgresDialect.migration(m.sql));
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
