import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { q, type StepRunner } from '../sql-steps';

const PURGE_CHUNK = 5000;

/**
 * The click store on the Postgres ledger's database (the `kv` table of migration 1), so a click
 * taken by one process is matched by any other. Writes join the process's group commit; reads go
 * to the pool. `expires_at` is a real column: expired clicks are deleted in chunks by purgeExpired.
 * https://keyv.org/docs/ (storage adapters)
 */
export class PgKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  opts: Record<string, unknown> = { dialect: 'postgres' };
  namespace?: string | undefined;

  constructor(
    private readonly db: StepRunner,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const at = this.now();
    const row = await this.db.read(function* () {
      return yield* q.get('SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)', key, at);
    });
    return row ? (row.value as StoredData<Value>) : undefined;
  }

  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const expiresAt = ttl && ttl > 0 ? this.now() + ttl : null;
    return this.db.write(function* () {
      yield* q.run(
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
        key,
        String(value),
        expiresAt,
      );
      return true;
    });
  }

  delete(key: string): Promise<boolean> {
    return this.db.write(function* () {
      return (yield* q.run('DELETE FROM kv WHERE key = ?', key)).changes > 0;
    });
  }

  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace}:` : '';
    await this.db.write(function* () {
      if (prefix) yield* q.run("DELETE FROM kv WHERE key LIKE ? ESCAPE '\\'", `${prefix.replace(/[%_\\]/g, '\\$&')}%`);
      else yield* q.run('DELETE FROM kv');
    });
  }

  /** Deletes every expired key, in chunks so no one statement holds many row locks; returns how many went. */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const at = this.now();
      const n = await this.db.write(function* () {
        return (yield* q.run(`DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires_at <= ? LIMIT ${PURGE_CHUNK})`, at)).changes;
      });
      total += n;
      if (n < PURGE_CHUNK) return total;
    }
  }
}
