import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { coalescing } from '../coalescing';
import { q, type StepRunner, type Steps } from '../sql-steps';

const PURGE_CHUNK = 5000;
/** Keys per statement of a coalesced read or write (well under Postgres's 65,535 parameters). */
const KEYS_PER_STATEMENT = 500;

interface KvRow {
  key: string;
  value: string;
  expiresAt: number | null;
}
type Waiter = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * One upsert per chunk: one row per key (the last set wins, as one after the other would), in key
 * order so two processes upserting the same keys lock them in the same order.
 */
function* upsertKv(items: KvRow[]): Steps<void> {
  const rows = [...new Map(items.map((r) => [r.key, r])).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < rows.length; i += KEYS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + KEYS_PER_STATEMENT);
    yield* q.run(
      `INSERT INTO kv (key, value, expires_at) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ...chunk.flatMap((r) => [r.key, r.value, r.expiresAt]),
    );
  }
}

/**
 * The click store on the Postgres ledger's database (the `kv` table of migration 1), so a click
 * taken by one process is matched by any other. Writes join the process's group commit; reads go
 * to the pool. `expires_at` is a real column: expired clicks are deleted in chunks by purgeExpired.
 * https://keyv.org/docs/ (storage adapters)
 *
 * On Postgres each round trip wakes a server backend, which is what a request costs most, so the
 * gets of one event-loop turn are ONE `key IN (…)` read and the sets of one turn ONE multi-row
 * upsert in the group commit: a busy redirect or intake pays a statement per turn, not per click.
 */
export class PgKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  opts: Record<string, unknown> = { dialect: 'postgres' };
  namespace?: string | undefined;
  private gets: Map<string, Waiter[]> | null = null;
  private readonly sets: ReturnType<typeof coalescing<KvRow>>;

  constructor(
    private readonly db: StepRunner,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.sets = coalescing<KvRow>(db, (items) => () => upsertKv(items));
  }

  get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.gets) {
        this.gets = new Map();
        setImmediate(() => this.readQueued());
      }
      const list = this.gets.get(key) ?? [];
      list.push({ resolve: resolve as (v: unknown) => void, reject });
      this.gets.set(key, list);
    });
  }

  private readQueued(): void {
    const waiting = this.gets ?? new Map<string, Waiter[]>();
    this.gets = null;
    const keys = [...waiting.keys()];
    const at = this.now();
    for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
      const chunk = keys.slice(i, i + KEYS_PER_STATEMENT);
      this.db
        .read(function* () {
          return yield* q.all(
            `SELECT key, value FROM kv WHERE key IN (${chunk.map(() => '?').join(', ')}) AND (expires_at IS NULL OR expires_at > ?)`,
            ...chunk,
            at,
          );
        })
        .then(
          (rows) => {
            const found = new Map(rows.map((r) => [String(r.key), r.value]));
            for (const k of chunk) for (const w of waiting.get(k) ?? []) w.resolve(found.get(k));
          },
          (err: unknown) => {
            for (const k of chunk) for (const w of waiting.get(k) ?? []) w.reject(err);
          },
        );
    }
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.sets.add([{ key, value: String(value), expiresAt: ttl && ttl > 0 ? this.now() + ttl : null }]);
    return true;
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
