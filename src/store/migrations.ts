import type { SqliteDb } from './sqlite';

/**
 * Versioned schema. The DDL is portable SQL (TEXT, BIGINT, INTEGER, standard constraints) so the
 * same list runs on SQLite and on Postgres; never edit a released migration, add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger and click store',
    sql: `
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at BIGINT
      );
      CREATE INDEX kv_expires_at ON kv (expires_at);

      CREATE TABLE conversions (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL,
        payout TEXT,
        currency TEXT NOT NULL,
        offer_id TEXT,
        click_id TEXT,
        matched INTEGER NOT NULL,
        click TEXT,
        params TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (source, transaction_id, event)
      );
      CREATE INDEX conversions_received_at ON conversions (received_at);

      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        conversion_id TEXT NOT NULL REFERENCES conversions (id),
        destination_id TEXT NOT NULL,
        connector TEXT NOT NULL,
        dedup_key TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_until BIGINT,
        last_error TEXT,
        last_kind TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (conversion_id, destination_id)
      );
      CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
      CREATE INDEX deliveries_destination ON deliveries (destination_id, status);

      CREATE TABLE attempts (
        id TEXT PRIMARY KEY,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        attempt INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        duration_ms INTEGER NOT NULL,
        request TEXT,
        response_status INTEGER,
        response_body TEXT,
        outcome TEXT NOT NULL,
        error_kind TEXT,
        error_message TEXT,
        platform_code TEXT,
        next_step TEXT NOT NULL,
        next_attempt_at BIGINT
      );
      CREATE INDEX attempts_delivery ON attempts (delivery_id, attempt);

      CREATE TABLE rejections (
        id TEXT PRIMARY KEY,
        source TEXT,
        received_at BIGINT NOT NULL,
        http_status INTEGER NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        params TEXT NOT NULL
      );
      CREATE INDEX rejections_received_at ON rejections (received_at);

      CREATE TABLE destination_state (
        destination_id TEXT PRIMARY KEY,
        paused INTEGER NOT NULL,
        paused_reason TEXT,
        paused_at BIGINT,
        consecutive_failures INTEGER NOT NULL,
        first_failure_at BIGINT,
        last_failure_at BIGINT,
        last_success_at BIGINT
      );
    `,
  },
];

export function migrate(db: SqliteDb, now = Date.now()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    })();
    applied.push(m.version);
  }
  return applied;
}
