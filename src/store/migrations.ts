import type { SqliteDb } from './sqlite/sqlite-engine';

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

      -- One row per HTTP request. A batch of N deliveries is ONE request: its (redacted) text is
      -- stored once here and the N attempts point at it, so storage grows with the batch, not
      -- with its square.
      CREATE TABLE exchanges (
        id TEXT PRIMARY KEY,
        request TEXT,
        response_status INTEGER,
        response_body TEXT
      );

      CREATE TABLE attempts (
        id TEXT PRIMARY KEY,
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        attempt INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        duration_ms INTEGER NOT NULL,
        exchange_id TEXT REFERENCES exchanges (id),
        outcome TEXT NOT NULL,
        error_kind TEXT,
        error_message TEXT,
        platform_code TEXT,
        note TEXT,
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
  {
    version: 2,
    name: 'network: offers, partners, partner postbacks, clicks, conversions, fires',
    sql: `
      CREATE TABLE network_sequences (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL
      );
      INSERT INTO network_sequences (name, value) VALUES ('offer', 0), ('partner', 0), ('postback', 0), ('event', 0);

      CREATE TABLE network_offers (
        id BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        currency TEXT NOT NULL,
        payout_type TEXT NOT NULL,
        payout_amount TEXT NOT NULL,
        revenue_type TEXT NOT NULL,
        revenue_amount TEXT NOT NULL,
        allow_duplicates INTEGER NOT NULL,
        fire_postbacks INTEGER NOT NULL,
        events TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE network_partners (
        id BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE network_postbacks (
        id BIGINT PRIMARY KEY,
        partner_id BIGINT NOT NULL,
        offer_id BIGINT NOT NULL,
        level TEXT NOT NULL,
        type TEXT NOT NULL,
        delivery_method TEXT NOT NULL,
        status TEXT NOT NULL,
        postback_url TEXT,
        http_method TEXT NOT NULL,
        post_body TEXT,
        post_content_type TEXT NOT NULL,
        html_code TEXT,
        description TEXT,
        delay_ms INTEGER NOT NULL,
        event_id BIGINT NOT NULL,
        deactivated_reason TEXT,
        deactivated_at BIGINT,
        failure_streak TEXT NOT NULL,
        last_failure_at BIGINT,
        last_success_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX network_postbacks_partner ON network_postbacks (partner_id, type);
      CREATE INDEX network_postbacks_offer ON network_postbacks (offer_id, type);

      CREATE TABLE network_clicks (
        transaction_id TEXT PRIMARY KEY,
        offer_id BIGINT NOT NULL,
        partner_id BIGINT NOT NULL,
        source_id TEXT,
        subs TEXT NOT NULL,
        ip_hash TEXT,
        is_unique INTEGER NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX network_clicks_session ON network_clicks (offer_id, partner_id, ip_hash, created_at);

      CREATE TABLE network_conversions (
        id TEXT PRIMARY KEY,
        transaction_id TEXT NOT NULL,
        offer_id BIGINT NOT NULL,
        partner_id BIGINT NOT NULL,
        kind TEXT NOT NULL,
        event_id BIGINT NOT NULL,
        event_name TEXT,
        status TEXT NOT NULL,
        payout TEXT,
        revenue TEXT,
        sale_amount TEXT,
        currency TEXT NOT NULL,
        order_id TEXT,
        params TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX network_conversions_tx ON network_conversions (transaction_id, event_id);
      CREATE INDEX network_conversions_created ON network_conversions (created_at);

      CREATE TABLE network_fires (
        delivery_id TEXT PRIMARY KEY REFERENCES deliveries (id),
        postback_id BIGINT NOT NULL,
        conversion_id TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        offer_id BIGINT NOT NULL,
        partner_id BIGINT NOT NULL,
        kind TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX network_fires_created ON network_fires (created_at);
      CREATE INDEX network_fires_postback ON network_fires (postback_id, created_at);
    `,
  },
  {
    version: 3,
    name: 'retention: attempts by age, exchanges by attempt',
    sql: `
      CREATE INDEX attempts_started_at ON attempts (started_at);
      CREATE INDEX attempts_exchange ON attempts (exchange_id);
    `,
  },
  {
    // Issue 7 items 6 and 16. Numbered apart from migrations other work adds alongside (versions need not be contiguous).
    version: 20,
    name: 'conversions: hashed personal identifiers and warnings',
    sql: `
      ALTER TABLE conversions ADD COLUMN identifiers TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE conversions ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    // Numbered apart from the console's migrations (issue 8), which were written at the same time.
    version: 21,
    name: 'click spool (clicks the click store could not take) and the readiness heartbeat',
    sql: `
      CREATE TABLE click_spool (
        id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        spooled_at BIGINT NOT NULL
      );
      CREATE INDEX click_spool_spooled_at ON click_spool (spooled_at);

      CREATE TABLE readiness_heartbeat (
        id TEXT PRIMARY KEY,
        beat_at BIGINT NOT NULL
      );
    `,
  },
  {
    // Issue 8 (console API). Numbered 50 so the hardening issue's migrations (3, 4…) keep their
    // numbers; migrate() applies every missing version in list order.
    version: 50,
    name: 'console: search indexes, response headers, stat counters',
    sql: `
      ALTER TABLE exchanges ADD COLUMN response_headers TEXT;

      -- Newest first, ties by id: (received_at, id) serves the default order and the row-value
      -- cursor; matched rides along so the overview's counts read the index alone. Each index
      -- below is one more entry per new conversion: only filters whose matches can be rare get
      -- one (matched is not: a page of unmatched rows is found within a few hundred rows).
      DROP INDEX conversions_received_at;
      CREATE INDEX conversions_received ON conversions (received_at, id, matched);
      CREATE INDEX conversions_tx ON conversions (transaction_id);
      CREATE INDEX conversions_click ON conversions (click_id);
      CREATE INDEX conversions_source ON conversions (source, received_at, id);
      CREATE INDEX conversions_offer ON conversions (offer_id, received_at, id);
      CREATE INDEX conversions_status ON conversions (status, received_at, id);
      CREATE INDEX conversions_warned ON conversions (received_at, id) WHERE warnings <> '[]';

      -- The deliveries list's order, and the overview's counts from the index alone. A claim
      -- changes none of these columns, so it does not touch this index.
      CREATE INDEX deliveries_created ON deliveries (created_at, id, destination_id, status);
      -- A rare delivery outcome's conversions (dead, pending… of one destination or any) from the
      -- index alone. Replaces (destination_id, status): its lookups are served here, and a list of
      -- one destination's deliveries reads deliveries_created newest first.
      DROP INDEX deliveries_destination;
      CREATE INDEX deliveries_outcome ON deliveries (status, destination_id, conversion_id);
      CREATE INDEX attempts_failed ON attempts (started_at) WHERE outcome = 'failed';

      DROP INDEX rejections_received_at;
      CREATE INDEX rejections_received ON rejections (received_at, id);
      CREATE INDEX rejections_source ON rejections (source, received_at, id);

      -- Counters the ledger has no rows for (clicks live in the click store, duplicates are not
      -- stored): per-minute buckets, added to by every process.
      CREATE TABLE stat_counts (
        name TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (name, bucket)
      );
    `,
  },
  {
    // Issue 11 item 5 (consent signals). Numbered 60 apart from the migrations written alongside it.
    version: 60,
    name: 'conversions: consent signals',
    sql: `
      ALTER TABLE conversions ADD COLUMN consent TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 61,
    name: 'corrections: a delivery that takes a conversion back or restates its value',
    sql: `
      -- NULL on an ordinary delivery. On a correction (destination id "<destination>#retraction" or
      -- "#restatement", src/delivery/adjustments.ts): its JSON (type, adjustment time, new value,
      -- the delivery it corrects). The outbox, leases, retries and attempts stay the deliveries'.
      ALTER TABLE deliveries ADD COLUMN adjustment TEXT;
    `,
  },
  {
    // Issue 11 item 7 (event match quality): the identifier names (never values) the latest
    // attempt's request carried, as a JSON array in identifiers-sent.ts's order; NULL until a
    // request was built, or when the connector does not say. The overview's index gains the
    // column at its end, so GET /v1/stats/match-quality groups a window's deliveries by their
    // name set from that index alone — no second index to update on every attempt.
    version: 62,
    name: 'deliveries: identifiers sent',
    sql: `
      ALTER TABLE deliveries ADD COLUMN identifiers_sent TEXT;
      DROP INDEX deliveries_created;
      CREATE INDEX deliveries_created ON deliveries (created_at, id, destination_id, status, identifiers_sent);
    `,
  },
  {
    // Issue 12: a network's transaction ids are random, so at production size every postback put
    // its conversions_tx entry on a leaf page of its own: one more 4 KiB page of WAL and of
    // checkpoint per postback (bench/storage-probe.ts, production-like case). The unique
    // (source, transaction_id, event) index already holds every transaction id under its few
    // sources; the console's search by transaction id reads it once per source (a loose scan of
    // the sources, ledger-sql.ts conversionSearchSql).
    version: 63,
    name: 'conversions: the transaction-id search through the unique index',
    sql: `
      DROP INDEX conversions_tx;
    `,
  },
  {
    // Issue 12: almost every conversion is approved (a postback without a status is), so the
    // status index held one entry per postback and cost each commit ≈ 4 WAL pages for a filter
    // that only needs the rare statuses indexed (bench/README.md, "Intake (h-intake, round 4)").
    // The search by a rare status names the partial index's condition (ledger-sql.ts); one by
    // `approved` reads conversions_received newest first, where nearly every row matches.
    version: 64,
    name: 'conversions: the status index holds only the rare statuses',
    sql: `
      DROP INDEX conversions_status;
      CREATE INDEX conversions_status ON conversions (status, received_at, id) WHERE status <> 'approved';
    `,
  },
  {
    // Issue 12: a delivery's success moved its row in deliveries_due (status, next_attempt_at) and
    // in deliveries_outcome (status, destination_id, conversion_id) — a delete and an insert each —
    // for entries no query reads. Migration 64's pattern, twice: the due index holds the pending
    // rows only (the claim, the outbox gauge and skipPending state `status = 'pending'` as
    // written), the outcome index every row but the succeeded ones (the rare-outcome counts,
    // searches and lists state ledger-sql.ts NOT_SUCCEEDED); a search for `succeeded` probes the
    // unique (conversion_id, destination_id) index per conversion. A success now deletes two
    // entries and inserts none. One migration, not two: with the due index partial and the outcome
    // index whole, SQLite claims through deliveries_outcome (status=?) and sorts the whole outbox
    // (bench/claim-micro.ts halfway: 130–165 µs a delivery for the claim alone, against 6–8).
    version: 65,
    name: 'deliveries: the due index holds the pending rows, the outcome index no succeeded one',
    sql: `
      DROP INDEX deliveries_due;
      CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
      DROP INDEX deliveries_outcome;
      CREATE INDEX deliveries_outcome ON deliveries (status, destination_id, conversion_id) WHERE status <> 'succeeded';
    `,
  },
];

/**
 * Several processes may open one new file at the same moment: each migration runs in
 * BEGIN IMMEDIATE (the write lock, waited for up to the busy timeout) and checks
 * schema_migrations again under that lock, so exactly one process applies it and the others
 * see it done. SQLite DDL is transactional: a migration and its row commit together.
 * https://www.sqlite.org/lang_transaction.html
 */
export function migrate(db: SqliteDb, now = Date.now()): number[] {
  const versions = (): Set<number> => new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  }).immediate();
  // Read without the lock first: on an up-to-date file (every start but the first) no migration takes the lock.
  const done = versions();
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    const ran = db
      .transaction(() => {
        if (versions().has(m.version)) return false;
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
        return true;
      })
      .immediate();
    if (ran) applied.push(m.version);
  }
  return applied;
}
