import type { ConversionRecord } from '../conversions/conversion';
import { newId } from '../ids';
import type { AdjustmentTarget, PostbackWrite } from './ledger';
import { rowToDelivery } from './ledger-rows';
import { q, type Steps } from './sql-steps';

/**
 * The SQL of corrections (src/delivery/adjustments.ts): a correction is a row of `deliveries`
 * with its `adjustment` JSON (migration 61), so the outbox, leases, retries, attempts and the
 * console are the deliveries' own. Kept out of ledger-sql.ts, which the intake hot path owns.
 */
export const ADJUSTMENT_SQL = {
  deliveriesOf: `SELECT * FROM deliveries WHERE conversion_id = ? ORDER BY created_at, destination_id`,
  /**
   * Queue (or queue again) one correction. A second restatement of the same conversion reuses the
   * row: the newest value wins, with a fresh budget, and a lease in flight is voided (its attempt
   * is recorded, its outcome no longer decides) so the newer value is the one that goes out last.
   */
  upsert: `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts,
      next_attempt_at, created_at, updated_at, adjustment)
    VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)
    ON CONFLICT (conversion_id, destination_id) DO UPDATE SET adjustment = excluded.adjustment, status = 'pending',
      max_attempts = deliveries.attempts + excluded.max_attempts, next_attempt_at = excluded.next_attempt_at,
      lease_owner = NULL, lease_until = NULL, last_error = NULL, last_kind = NULL, updated_at = excluded.updated_at`,
} as const;

/**
 * Inside the repeat's job (step-ledger.ts recordOne), after the status change: the corrections
 * `write.adjust` asks for, queued in the SAME transaction as the change they follow from — a
 * crash either keeps both or neither.
 */
export function* queueAdjustments(write: PostbackWrite, stored: ConversionRecord, now: number): Steps<AdjustmentTarget[]> {
  if (!write.adjust) return [];
  const deliveries = (yield* q.all(ADJUSTMENT_SQL.deliveriesOf, stored.id)).map(rowToDelivery);
  const targets = write.adjust(stored, write.conversion, deliveries);
  for (const t of targets) {
    yield* q.run(
      ADJUSTMENT_SQL.upsert,
      newId(),
      stored.id,
      t.destinationId,
      t.connector,
      t.dedupKey,
      t.maxAttempts,
      now,
      now,
      now,
      JSON.stringify(t.adjustment),
    );
  }
  return targets;
}
