import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import type { Row } from '../ledger-rows';

export type SqliteDb = Database.Database;

/** The page cache of each connection, KiB (SQLite's default; see openSqlite). */
const CACHE_KIB = 2000;

/**
 * The embedded engine: one SQLite file in WAL mode. SQLite itself runs `synchronous = NORMAL`
 * (no fsync inside COMMIT, proper syncs around checkpoints); for `storage.synchronous: FULL` the
 * GroupCommit fdatasyncs the WAL after each batch, off the event loop (see group-commit.ts).
 */
export function openSqlite(path: string): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // page_size stays SQLite's 4096. Larger pages cut a commit's WAL page count but not the pages
  // it dirties at random (one leaf per postback in each random-key index), so WAL bytes grow
  // with the page: 8 KiB and 16 KiB cost 1.2–2.2× the loop's CPU per production-like postback;
  // 2 KiB writes 0.63× the WAL bytes but 1.25× the pages, and its CPU was within this machine's
  // noise (bench/README.md "Page size (h-pages, round 4)"). An existing file keeps its size.
  // https://www.sqlite.org/pragma.html#pragma_page_size
  toWal(db);
  db.pragma('synchronous = NORMAL');
  // Several gateway processes may share one file; a writer waits instead of failing at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // The group commit's savepoints and a multi-row INSERT's statement journal keep each page's
  // original content until they end; past 64 KiB SQLite spills that into a temporary file, so a
  // commit of a few dozen postbacks opened temp files and wrote every page once more (≈ 3.6
  // pwrites per WAL page, bench/storage-probe.ts under strace). In memory they are only memory:
  // a few hundred KiB for the length of one commit. https://www.sqlite.org/tempfiles.html
  db.pragma('temp_store = MEMORY');
  // better-sqlite3 is built with SQLITE_DEFAULT_CACHE_SIZE=-16000: a 16 MB page cache per
  // connection, which the gateway's growing tables fill within a minute of load (≈ 14 MB of RSS).
  // SQLite's own default, 2 MB, holds the hot pages (the tables' right edges, the schema); the
  // other reads come from the OS page cache. Measured in bench/README.md "Memory (h-rss, round 3)".
  // https://sqlite.org/pragma.html#pragma_cache_size
  db.pragma(`cache_size = -${CACHE_KIB}`);
  return db;
}

/**
 * Switching a new file to WAL needs its exclusive lock, and a process that finds another one
 * switching it at the same moment gets SQLITE_BUSY at once, without the busy handler (two
 * gateways started together on a new file). Retried for up to the busy timeout.
 * https://www.sqlite.org/wal.html#activating_and_configuring_wal_mode
 */
function toWal(db: SqliteDb): void {
  const until = Date.now() + 5_000;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw err;
      // openSqlite is synchronous (the gateway opens storage before anything else runs).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** The WAL to sync for durable commits, or null (in-memory databases have none). */
export function walToSync(path: string, synchronous: 'FULL' | 'NORMAL'): string | null {
  return synchronous === 'FULL' && path !== ':memory:' ? `${path}-wal` : null;
}

/**
 * Statements over one SQLite handle, each SQL text prepared once and reused: preparing is the
 * costly part of a small query, and the ledger and network store run the same few texts all day.
 */
export interface SqlRunner {
  all(sql: string, ...params: unknown[]): Row[];
  get(sql: string, ...params: unknown[]): Row | undefined;
  run(sql: string, ...params: unknown[]): { changes: number };
}

export function sqlRunner(db: SqliteDb): SqlRunner {
  const cache = new Map<string, Statement>();
  const stmt = (sql: string): Statement => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  return {
    all: (sql, ...params) => stmt(sql).all(...params) as Row[],
    get: (sql, ...params) => stmt(sql).get(...params) as Row | undefined,
    run: (sql, ...params) => ({ changes: stmt(sql).run(...params).changes }),
  };
}
