import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

/**
 * The embedded engine: one SQLite file in WAL mode. Writes go through GroupCommit, so even with
 * synchronous=FULL (an fsync per commit) one fsync covers every request of a batch.
 */
export function openSqlite(path: string, synchronous: 'FULL' | 'NORMAL'): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  // Several gateway processes may share one file; a writer waits instead of failing at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
