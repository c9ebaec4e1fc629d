import type { Statement } from 'better-sqlite3';
import type { Row } from '../store/ledger-rows';
import type { SqliteDb } from '../store/sqlite';

/** Prepared-statement cache over the shared SQLite handle (the same pattern as sqlite-ledger.ts). */
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
