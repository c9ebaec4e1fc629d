/**
 * Every statement of the network store, in SQL SQLite (≥ 3.35) and Postgres both accept:
 * `?` placeholders, ON CONFLICT, RETURNING; ids from `network_sequences` instead of an
 * engine-specific autoincrement. Tables: migration 2 in src/store/migrations.ts.
 */
import { NOT_SUCCEEDED } from '../ledger-sql';
const POSTBACK_COLUMNS = `id, partner_id, offer_id, level, type, delivery_method, status, postback_url, http_method, post_body,
  post_content_type, html_code, description, delay_ms, event_id, deactivated_reason, deactivated_at, failure_streak,
  last_failure_at, last_success_at, created_at, updated_at`;

export const NSQL = {
  nextId: `UPDATE network_sequences SET value = value + 1 WHERE name = ? RETURNING value`,

  insertOffer: `INSERT INTO network_offers (id, name, status, currency, payout_type, payout_amount, revenue_type, revenue_amount,
      allow_duplicates, fire_postbacks, events, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  updateOffer: `UPDATE network_offers SET name = ?, status = ?, currency = ?, payout_type = ?, payout_amount = ?, revenue_type = ?,
      revenue_amount = ?, allow_duplicates = ?, fire_postbacks = ?, events = ?, updated_at = ? WHERE id = ?`,
  getOffer: `SELECT * FROM network_offers WHERE id = ?`,
  listOffers: `SELECT * FROM network_offers ORDER BY id`,

  insertPartner: `INSERT INTO network_partners (id, name, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
  updatePartner: `UPDATE network_partners SET name = ?, status = ?, updated_at = ? WHERE id = ?`,
  getPartner: `SELECT * FROM network_partners WHERE id = ?`,
  listPartners: `SELECT * FROM network_partners ORDER BY id`,

  insertPostback: `INSERT INTO network_postbacks (${POSTBACK_COLUMNS})
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, '[]', NULL, NULL, ?, ?)`,
  /**
   * PUT replaces every editable field
   * (https://developers-beta.everflow.io/api-reference/put-affiliatespixel); health fields are the system's.
   */
  replacePostback: `UPDATE network_postbacks SET partner_id = ?, offer_id = ?, level = ?, type = ?, delivery_method = ?, status = ?,
      postback_url = ?, http_method = ?, post_body = ?, post_content_type = ?, html_code = ?, description = ?, delay_ms = ?,
      event_id = ?, updated_at = ? WHERE id = ? AND status <> 'deleted'`,
  getPostback: `SELECT ${POSTBACK_COLUMNS} FROM network_postbacks WHERE id = ?`,
  livePostbacks: `SELECT ${POSTBACK_COLUMNS} FROM network_postbacks WHERE status <> 'deleted' ORDER BY id`,
  /** Candidates for one fire; the exact predicate is match.ts. */
  candidatePostbacks: `SELECT ${POSTBACK_COLUMNS} FROM network_postbacks
    WHERE type = ? AND status IN ('active', 'deactivated') AND (partner_id = ? OR offer_id = ?) ORDER BY id`,
  setPostbackStatus: `UPDATE network_postbacks SET status = ?, deactivated_reason = ?, deactivated_at = ?, failure_streak = '[]',
      updated_at = ? WHERE id = ?`,
  setStreak: `UPDATE network_postbacks SET failure_streak = ?, last_failure_at = COALESCE(?, last_failure_at),
      last_success_at = COALESCE(?, last_success_at) WHERE id = ?`,

  insertClick: `INSERT INTO network_clicks (transaction_id, offer_id, partner_id, source_id, subs, ip_hash, is_unique, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  getClick: `SELECT * FROM network_clicks WHERE transaction_id = ?`,
  /**
   * Duplicate clicks follow a session definition
   * (https://help.everflow.io/support/solutions/articles/22000223192-session-definition-rules-for-duplicate-clicks-conversions;
   * here: same offer, partner and IP).
   */
  recentClick: `SELECT 1 AS found FROM network_clicks WHERE offer_id = ? AND partner_id = ? AND ip_hash = ? AND created_at > ? LIMIT 1`,

  insertConversion: `INSERT INTO network_conversions (id, transaction_id, offer_id, partner_id, kind, event_id, event_name, status,
      payout, revenue, sale_amount, currency, order_id, params, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  getConversion: `SELECT * FROM network_conversions WHERE id = ?`,
  priorConversion: `SELECT id FROM network_conversions WHERE transaction_id = ? AND event_id = ? LIMIT 1`,
  setConversionStatus: `UPDATE network_conversions SET status = ?, updated_at = ? WHERE id = ?`,

  /** The outbox row; unlike the ledger's insert, the status is given ('pending' or 'skipped'). */
  insertDelivery: `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts,
      next_attempt_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
    ON CONFLICT (conversion_id, destination_id) DO NOTHING
    RETURNING id`,
  insertFire: `INSERT INTO network_fires (delivery_id, postback_id, conversion_id, transaction_id, offer_id, partner_id, kind, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  /**
   * Queued, unclaimed sends of a postback that stopped being active: kept, replayable. With the
   * partial-index condition stated, this one destination's rows are read from deliveries_outcome
   * rather than every pending row from deliveries_due.
   */
  skipPending: `UPDATE deliveries SET status = 'skipped', updated_at = ?
    WHERE destination_id = ? AND status = 'pending' AND ${NOT_SUCCEEDED()} AND (lease_until IS NULL OR lease_until <= ?)`,
  cancelPendingOf: `UPDATE deliveries SET status = 'cancelled', updated_at = ?
    WHERE conversion_id = ? AND destination_id LIKE 'pp-%' AND status = 'pending' AND (lease_until IS NULL OR lease_until <= ?)`,
  // The partial-index condition of migration 65 (NOT_SUCCEEDED), stated: SQLite then reads
  // deliveries_outcome (status, destination_id) instead of scanning the whole outbox.
  replaySkipped: `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, max_attempts = attempts + ?, lease_owner = NULL,
      lease_until = NULL, updated_at = ? WHERE destination_id = ? AND status = 'skipped' AND ${NOT_SUCCEEDED()}`,
  deliveriesOf: `SELECT id, destination_id, status FROM deliveries WHERE conversion_id = ? ORDER BY created_at, destination_id`,
} as const;
