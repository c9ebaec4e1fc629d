import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

/**
 * The embedded engine: one SQLite file in WAL mode. SQLite itself runs `synchronous = NORMAL`
 * (no fsync inside COMMIT, proper syncs around checkpoints); for `storage.synchronous: FULL` the
 * GroupCommit fdatasyncs the WAL after each batch, off the event loop (see group-commit.ts).
 */
export function openSqlite(path: string): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Several gateway processes may share one file; a writer waits instead of failing at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** The WAL to sync for durable commits, or null (in-memory databases have none). */
export function walToSync(path: string, synchronous: 'FULL' | 'NORMAL'): string | null {
  return synchronous === 'FULL' && path !== ':memory:' ? `${path}-wal` : null;
}
