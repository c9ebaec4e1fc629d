import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { GroupCommit } from './group-commit';
import type { SqliteDb } from './sqlite-engine';

type Statement = { run(...params: unknown[]): unknown };
/** 3 parameters a row, far below SQLite's 32,766 (https://sqlite.org/limits.html#max_variable_number). */
const MAX_ROWS_PER_SET = 500;
/**
 * The row counts the upsert is prepared for; a turn's sets are padded up to the next one by
 * repeating its last row (that key upserted again with the same value: nothing changes). A
 * prepared statement per row count, 1 to 500, would cost ≈ 30 bytes of native memory per character
 * of its text, ≈ 38 MB for all of them, taken one by one as stalls make larger turns and never
 * given back (better-sqlite3 finalizes a statement only when V8 collects it); these 18 ≈ 0.5 MB.
 * Measured in bench/README.md "Memory (h-rss, round 3)".
 */
const ROW_COUNTS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, MAX_ROWS_PER_SET];

/**
 * A keyv store on the gateway's SQLite file. Unlike @keyv/sqlite as shipped (rollback journal,
 * one fsync per write: 6 % of a bare Koa redirect on this machine), writes join the process-wide
 * group commit, and `expires_at` is a real column so expired keys are deleted by `purgeExpired`,
 * not only hidden by keyv on read.
 */
export class SqliteKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  opts: Record<string, unknown> = { dialect: 'sqlite' };
  namespace?: string | undefined;
  private readonly getStmt;
  /** Multi-row upserts by row count (ROW_COUNTS), prepared on first use. */
  private readonly setStmts = new Map<number, Statement>();
  /** The sets of this event-loop turn, written by ONE statement in the turn's group commit. */
  private open: { rows: unknown[]; done: Promise<boolean> } | null = null;
  private readonly delStmt;
  private readonly purgeStmt;

  constructor(
    private readonly db: SqliteDb,
    private readonly writer: GroupCommit,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)');
    this.delStmt = db.prepare('DELETE FROM kv WHERE key = ?');
    // Bounded chunks keep one purge from holding the write lock for long.
    this.purgeStmt = db.prepare('DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires_at <= ? LIMIT 5000)');
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const row = this.getStmt.get(key, this.now()) as { value: string } | undefined;
    return row ? (row.value as StoredData<Value>) : undefined;
  }

  /**
   * Every set of one event-loop turn (every click of the turn) goes into ONE multi-row upsert, a
   * one-statement job of the group commit: one statement to bind and step instead of one per click.
   * The statement is all or nothing, as each set was alone (a row can only fail with the disk).
   * A key set twice in one statement ends with the later value, as two statements would.
   */
  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const expiresAt = ttl && ttl > 0 ? this.now() + ttl : null;
    if (!this.open) {
      const rows: unknown[] = [];
      const batch = {
        rows,
        done: this.writer.runStatement(() => {
          if (this.open === batch) this.open = null;
          const n = rows.length / 3;
          const size = ROW_COUNTS.find((c) => c >= n) as number;
          for (let i = n; i < size; i++) rows.push(rows[rows.length - 3], rows[rows.length - 2], rows[rows.length - 1]);
          this.upsert(size).run(...rows);
          return true;
        }),
      };
      this.open = batch;
    }
    const batch = this.open;
    batch.rows.push(key, String(value), expiresAt);
    if (batch.rows.length >= MAX_ROWS_PER_SET * 3) this.open = null;
    return batch.done;
  }

  delete(key: string): Promise<boolean> {
    // Sets after this delete go into a later statement, so the order of operations holds.
    this.open = null;
    return this.writer.runStatement(() => this.delStmt.run(key).changes > 0);
  }

  private upsert(n: number): Statement {
    let stmt = this.setStmts.get(n);
    if (!stmt) {
      stmt = this.db.prepare<unknown[]>(
        `INSERT INTO kv (key, value, expires_at) VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      );
      this.setStmts.set(n, stmt);
    }
    return stmt;
  }

  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace}:` : '';
    await this.writer.run(() => {
      if (prefix) this.db.prepare("DELETE FROM kv WHERE key LIKE ? ESCAPE '\\'").run(`${prefix.replace(/[%_\\]/g, '\\$&')}%`);
      else this.db.prepare('DELETE FROM kv').run();
    });
  }

  /** Deletes every expired key; returns how many went. */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.writer.run(() => this.purgeStmt.run(this.now()).changes);
      total += n;
      if (n < 5000) return total;
    }
  }
}
