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
  insertConversion: `INSERT INTO conversions (${CONVERSION_COLUMNS}) VALUES (${CONVERSION_COLUMNS.split(',').map(() => '?').join(', ')})`,
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
  insertExchange: `INSERT INTO exchanges (id, request, response_status, response_body) VALUES (?, ?, ?, ?)`,
  insertAttempt: `INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, exchange_id,
      outcome, error_kind, error_message, platform_code, note, next_step, next_attempt_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  attemptsOf: (n: number) => `SELECT a.*, e.request, e.response_status, e.response_body
    FROM attempts a LEFT JOIN exchanges e ON e.id = a.exchange_id
    WHERE a.delivery_id IN (${Array(n).fill('?').join(', ')}) ORDER BY a.delivery_id, a.attempt`,
  finishDelivery: `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_owner = NULL,
      lease_until = NULL, last_error = ?, last_kind = ?, updated_at = ?
    WHERE id = ? AND lease_owner = ?`,
  release: `UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`,
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
  countDeliveries: `SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status`,
} as const;
