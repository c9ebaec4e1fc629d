import type { ConversionSearch, PostbackSearch } from './ledger';
import { CONVERSION_COLUMNS } from './ledger-rows';

/**
 * Every statement of the Ledger, in SQL that SQLite (≥ 3.35) and Postgres both accept:
 * `?` placeholders (an engine may rewrite them to $n), ON CONFLICT, RETURNING.
 * The Postgres engine adds `FOR UPDATE SKIP LOCKED` to the claim's inner SELECT.
 */
export const SQL = {
  findConversion: `SELECT ${CONVERSION_COLUMNS} FROM conversions WHERE source = ? AND transaction_id = ? AND event = ?`,
  getConversion: `SELECT ${CONVERSION_COLUMNS} FROM conversions WHERE id = ?`,
  conversionsByIds: (n: number) => `SELECT ${CONVERSION_COLUMNS} FROM conversions WHERE id IN (${Array(n).fill('?').join(', ')})`,
  insertConversion: `INSERT INTO conversions (${CONVERSION_COLUMNS}) VALUES (${CONVERSION_COLUMNS.split(',')
    .map(() => '?')
    .join(', ')})`,
  updateConversionStatus: `UPDATE conversions SET status = ?, updated_at = ? WHERE id = ?`,
  conversionWarnings: `SELECT warnings FROM conversions WHERE id = ?`,
  setConversionWarnings: `UPDATE conversions SET warnings = ? WHERE id = ?`,
  insertDelivery: `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts,
      next_attempt_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
    ON CONFLICT (conversion_id, destination_id) DO NOTHING`,
  /** A conversion approved again after a rejection: its cancelled deliveries go out after all. */
  reviveCancelledDelivery: `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?
    WHERE conversion_id = ? AND destination_id = ? AND status = 'cancelled'`,
  cancelPendingDeliveries: `UPDATE deliveries SET status = 'cancelled', updated_at = ?
    WHERE conversion_id = ? AND status = 'pending' AND (lease_until IS NULL OR lease_until <= ?)`,
  deliveriesOf: `SELECT * FROM deliveries WHERE conversion_id = ? ORDER BY created_at, destination_id`,
  insertRejection: `INSERT INTO rejections (id, source, received_at, http_status, code, message, params) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  rejections: `SELECT * FROM rejections WHERE received_at < ? OR (received_at = ? AND id > ?) ORDER BY received_at DESC, id LIMIT ?`,
  claimDue: (held: number) => `UPDATE deliveries SET lease_owner = ?, lease_until = ?, updated_at = ?
    WHERE id IN (
      SELECT id FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        AND destination_id NOT IN (SELECT destination_id FROM destination_state WHERE paused = 1)
        ${held > 0 ? `AND destination_id NOT IN (${Array(held).fill('?').join(', ')})` : ''}
      ORDER BY next_attempt_at
      LIMIT ?)
    RETURNING *`,
  insertExchange: `INSERT INTO exchanges (id, request, response_status, response_body, response_headers) VALUES (?, ?, ?, ?, ?)`,
  insertAttempt: `INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, exchange_id,
      outcome, error_kind, error_message, platform_code, note, next_step, next_attempt_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  attemptsOf: (n: number) => `SELECT a.*, e.request, e.response_status, e.response_body, e.response_headers
    FROM attempts a LEFT JOIN exchanges e ON e.id = a.exchange_id
    WHERE a.delivery_id IN (${Array(n).fill('?').join(', ')}) ORDER BY a.delivery_id, a.attempt`,
  /** Claimed rows given back untouched, in one statement (owner first, then the ids). */
  release: (n: number) => `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND id IN (${marks(n)})`,
  retryDelivery: `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, max_attempts = attempts + ?, lease_owner = NULL,
      lease_until = NULL, updated_at = ?
    WHERE id = ? AND status IN ('dead', 'pending', 'cancelled', 'skipped') AND (lease_until IS NULL OR lease_until <= ?)`,
  getDelivery: `SELECT * FROM deliveries WHERE id = ?`,
  healthSuccess: `INSERT INTO destination_state (destination_id, paused, consecutive_failures, last_success_at)
    VALUES (?, 0, 0, ?)
    ON CONFLICT (destination_id) DO UPDATE SET consecutive_failures = 0, first_failure_at = NULL, last_success_at = excluded.last_success_at`,
  healthFailure: `INSERT INTO destination_state (destination_id, paused, consecutive_failures, first_failure_at, last_failure_at)
    VALUES (?, 0, 1, ?, ?)
    ON CONFLICT (destination_id) DO UPDATE SET consecutive_failures = destination_state.consecutive_failures + 1,
      first_failure_at = COALESCE(destination_state.first_failure_at, excluded.first_failure_at),
      last_failure_at = excluded.last_failure_at`,
  pause: `INSERT INTO destination_state (destination_id, paused, paused_reason, paused_at, consecutive_failures)
    VALUES (?, 1, ?, ?, 0)
    ON CONFLICT (destination_id) DO UPDATE SET paused = 1, paused_reason = excluded.paused_reason, paused_at = excluded.paused_at`,
  resume: `UPDATE destination_state SET paused = 0, paused_reason = NULL, paused_at = NULL, consecutive_failures = 0,
      first_failure_at = NULL WHERE destination_id = ?`,
  destinationStates: `SELECT * FROM destination_state ORDER BY destination_id`,
  destinationState: `SELECT * FROM destination_state WHERE destination_id = ?`,
  // One statement, so one snapshot: the other statuses from deliveries_outcome alone (migration
  // 65), and every row's count, of which the rest succeeded.
  countDeliveries: `SELECT status, COUNT(*) AS n FROM deliveries WHERE status <> 'succeeded' GROUP BY status
    UNION ALL SELECT '*' AS status, COUNT(*) AS n FROM deliveries`,

  // Console (issue 8). Search and postback listings are built by the functions below.
  deliveriesOfConversions: (n: number) => `SELECT * FROM deliveries WHERE conversion_id IN (${marks(n)}) ORDER BY conversion_id, created_at, destination_id`,
  /** Only a delivery still dead: one retried or sent meanwhile is left alone. */
  retryDead: `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, max_attempts = attempts + ?, lease_owner = NULL,
      lease_until = NULL, updated_at = ?
    WHERE id = ? AND status = 'dead'`,
  addStatCount: `INSERT INTO stat_counts (name, bucket, n) VALUES (?, ?, ?)
    ON CONFLICT (name, bucket) DO UPDATE SET n = stat_counts.n + excluded.n`,
  outbox: `SELECT COUNT(*) AS depth, MIN(created_at) AS oldest FROM deliveries WHERE status = 'pending'`,
  // Every stats statement takes (from, to) last; the series ones take (from, bucketMs) first.
  statsConversions: `SELECT COUNT(*) AS n, COALESCE(SUM(matched), 0) AS matched FROM conversions WHERE received_at >= ? AND received_at < ?`,
  statsRejections: `SELECT code, COUNT(*) AS n FROM rejections WHERE received_at >= ? AND received_at < ? GROUP BY code`,
  statsCounts: `SELECT name, SUM(n) AS n FROM stat_counts WHERE bucket >= ? AND bucket < ? GROUP BY name`,
  // bucket first in GROUP BY: grouped by destination_id first, SQLite would rather walk the whole
  // (destination_id, status) index in order than range-scan the window and sort.
  statsDeliveries: `SELECT destination_id, status, CAST((created_at - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n
    FROM deliveries WHERE created_at >= ? AND created_at < ? GROUP BY bucket, destination_id, status`,
  statsSeriesFailures: `SELECT d.destination_id, CAST((a.started_at - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n
    FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
    WHERE a.started_at >= ? AND a.started_at < ? AND a.outcome = 'failed' GROUP BY bucket, d.destination_id`,
  // Issue 11 item 7: a range scan of deliveries_created, which carries every column read here
  // (migration 62), so no table row is visited; a window holds a handful of distinct name sets.
  // The status is counted, not filtered: with `status = ?` in WHERE, SQLite reads
  // deliveries_outcome and then the table row by row, and `(status || '') = ?` leaves Postgres
  // estimating ~0.2 % of rows and sorting them instead of hashing (measured: bench/scenarios/match-quality.ts).
  statsMatchQuality: `SELECT destination_id, identifiers_sent, SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS n
    FROM deliveries WHERE created_at >= ? AND created_at < ?
    GROUP BY destination_id, identifiers_sent HAVING SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) > 0`,
} as const;

/**
 * deliveries_outcome holds no succeeded delivery (migration 65): a query that reads it for another
 * status states this term as the index's condition is written. Neither engine's planner would use
 * the partial index otherwise — SQLite does not infer it from `status = ?`, nor Postgres from a
 * parameter in a generic plan (our statements are named, pg-pool.ts).
 */
export const NOT_SUCCEEDED = (alias?: string) => `${alias ? `${alias}.` : ''}status <> 'succeeded'`;

function marks(n: number): string {
  return Array(n).fill('?').join(', ');
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

const C_COLUMNS = CONVERSION_COLUMNS.split(', ')
  .map((c) => `c.${c}`)
  .join(', ');

/** The deliveries condition of a search (outcome and/or destination), or null. */
function deliveryFilter(q: ConversionSearch): { where: string; params: unknown[] } | null {
  if (q.outcome === undefined && q.destinationId === undefined) return null;
  const d: string[] = [];
  const params: unknown[] = [];
  if (q.destinationId !== undefined) d.push('d.destination_id = ?'), params.push(q.destinationId);
  if (q.outcome === 'paused')
    d.push(`d.status = 'pending' AND ${NOT_SUCCEEDED('d')} AND d.destination_id IN (SELECT destination_id FROM destination_state WHERE paused = 1)`);
  else if (q.outcome !== undefined) d.push(q.outcome === 'succeeded' ? 'd.status = ?' : `d.status = ? AND ${NOT_SUCCEEDED('d')}`), params.push(q.outcome);
  return { where: d.join(' AND '), params };
}

/**
 * The distinct sources of conversions, one index seek each (a "loose index scan": a source has
 * millions of rows, there are a few sources), in SQL both engines run.
 * https://wiki.postgresql.org/wiki/Loose_indexscan, https://www.sqlite.org/lang_with.html
 */
const SOURCES = `WITH RECURSIVE s (source) AS (
    SELECT MIN(source) FROM conversions
    UNION ALL
    SELECT (SELECT MIN(n.source) FROM conversions n WHERE n.source > s.source) FROM s WHERE s.source IS NOT NULL
  ) SELECT source FROM s WHERE source IS NOT NULL`;

/** Below this many matching deliveries, a rare outcome is searched from the deliveries side. */
export const FEW_OUTCOME_MATCHES = 1000;

/**
 * For an outcome other than `succeeded`: how many deliveries have it (counted up to
 * FEW_OUTCOME_MATCHES + 1 only), to pick the plan of `conversionSearchSql`. Null when the
 * search needs no count.
 */
export function outcomeCountSql(q: ConversionSearch): BuiltQuery | null {
  const d = deliveryFilter(q);
  if (!d || q.outcome === undefined || q.outcome === 'succeeded') return null;
  return { sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM deliveries d WHERE ${d.where} LIMIT ?) AS m`, params: [...d.params, FEW_OUTCOME_MATCHES + 1] };
}

/**
 * GET /v1/conversions: every filter is an indexed equality or range (migration 50), the order is
 * the (received_at, id) index read backwards, and the cursor is a row-value comparison, so a page
 * costs the same at row 10 and at row 900,000. A delivery outcome takes one of three plans: a
 * common one (`succeeded`, a destination alone) is checked per conversion while reading newest
 * first; a rare one with few matches (`fewMatches`, from `outcomeCountSql`) fetches those
 * conversions and sorts them; a rare one with many reads newest first against the set of ids.
 */
export function conversionSearchSql(q: ConversionSearch, fewMatches = false): BuiltQuery {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  // A transaction id has no index of its own (migration 63): the unique (source, transaction_id,
  // event) index finds it under each source — the one given, or each distinct one (loose scan).
  // The other equalities are then written `|| ''` (same truth, NULL stays NULL) so SQLite, which
  // has no statistics, does not read a whole source's or offer's index for the ORDER BY instead.
  const tx = q.transactionId !== undefined;
  const col = (name: string) => (tx ? `(c.${name} || '')` : `c.${name}`);
  if (tx)
    add(
      `c.id IN (SELECT t.id FROM conversions t WHERE t.source IN (${q.source !== undefined ? '?' : SOURCES}) AND t.transaction_id = ?)`,
      ...(q.source !== undefined ? [q.source] : []),
      q.transactionId,
    );
  if (q.clickId !== undefined) add('c.click_id = ?', q.clickId);
  if (q.source !== undefined) add(`${col('source')} = ?`, q.source);
  if (q.offerId !== undefined) add(`${col('offer_id')} = ?`, q.offerId);
  // The status index holds the rare statuses only (migration 64): a search for one states the
  // index's condition as written, which is how both engines know the index covers it.
  if (q.status !== undefined) add(`${col('status')} = ?${!tx && q.status !== 'approved' ? ` AND c.status <> 'approved'` : ''}`, q.status);
  if (q.matched !== undefined) add('c.matched = ?', q.matched ? 1 : 0);
  if (q.hasWarnings !== undefined) add(q.hasWarnings ? "c.warnings <> '[]'" : "c.warnings = '[]'");
  if (q.from !== undefined) add('c.received_at >= ?', q.from);
  if (q.to !== undefined) add('c.received_at < ?', q.to);
  const d = deliveryFilter(q);
  if (d) {
    if (q.outcome === undefined || q.outcome === 'succeeded')
      add(`EXISTS (SELECT 1 FROM deliveries d WHERE d.conversion_id = c.id AND ${d.where})`, ...d.params);
    // `|| ''` keeps the planner off the primary key: it reads conversions newest first and
    // probes the subquery's (materialised) ids, instead of fetching every match to sort it.
    else if (!fewMatches) add(`(c.id || '') IN (SELECT d.conversion_id FROM deliveries d WHERE ${d.where})`, ...d.params);
    else add(`c.id IN (SELECT d.conversion_id FROM deliveries d WHERE ${d.where})`, ...d.params);
  }
  if (q.after) add('(c.received_at, c.id) < (?, ?)', q.after.at, q.after.id);
  return {
    sql: `SELECT ${C_COLUMNS}, c.warnings FROM conversions c ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY c.received_at DESC, c.id DESC LIMIT ?`,
    params: [...params, q.limit],
  };
}

/**
 * GET /v1/postbacks: the newest `limit` of each table, merged. CAST(NULL …) gives the UNION's
 * columns a type on Postgres.
 */
export function postbackListSql(q: PostbackSearch): BuiltQuery {
  const common: string[] = [];
  const cp: unknown[] = [];
  if (q.source !== undefined) common.push('source = ?'), cp.push(q.source);
  if (q.from !== undefined) common.push('received_at >= ?'), cp.push(q.from);
  if (q.to !== undefined) common.push('received_at < ?'), cp.push(q.to);
  if (q.after) common.push('(received_at, id) < (?, ?)'), cp.push(q.after.at, q.after.id);
  const where = common.length ? `WHERE ${common.join(' AND ')}` : '';
  const accepted = `SELECT * FROM (SELECT id, source, received_at, 'accepted' AS outcome, 200 AS http_status, CAST(NULL AS TEXT) AS code,
      CAST(NULL AS TEXT) AS message, params, id AS conversion_id FROM conversions ${where} ORDER BY received_at DESC, id DESC LIMIT ?) AS a`;
  const rejected = `SELECT * FROM (SELECT id, source, received_at, 'rejected' AS outcome, http_status, code, message, params,
      CAST(NULL AS TEXT) AS conversion_id FROM rejections ${where} ORDER BY received_at DESC, id DESC LIMIT ?) AS r`;
  if (q.outcome === 'accepted') return { sql: accepted, params: [...cp, q.limit] };
  if (q.outcome === 'rejected') return { sql: rejected, params: [...cp, q.limit] };
  return {
    sql: `SELECT * FROM (${accepted} UNION ALL ${rejected}) AS p ORDER BY received_at DESC, id DESC LIMIT ?`,
    params: [...cp, q.limit, ...cp, q.limit, q.limit],
  };
}
