import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { GroupCommit } from './group-commit';
import type { SqliteDb } from './sqlite-engine';

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
  private readonly setStmt;
  private readonly delStmt;
  private readonly purgeStmt;

  constructor(
    private readonly db: SqliteDb,
    private readonly writer: GroupCommit,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)');
    this.setStmt = db.prepare(
      'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
    );
    this.delStmt = db.prepare('DELETE FROM kv WHERE key = ?');
    // Bounded chunks keep one purge from holding the write lock for long.
    this.purgeStmt = db.prepare('DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires_at <= ? LIMIT 5000)');
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const row = this.getStmt.get(key, this.now()) as { value: string } | undefined;
    return row ? (row.value as StoredData<Value>) : undefined;
  }

  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const expiresAt = ttl && ttl > 0 ? this.now() + ttl : null;
    return this.writer.runStatement(() => {
      this.setStmt.run(key, String(value), expiresAt);
      return true;
    });
  }

  delete(key: string): Promise<boolean> {
    return this.writer.runStatement(() => this.delStmt.run(key).changes > 0);
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
