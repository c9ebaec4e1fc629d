import type { ClickSpool } from '../clicks/spooled-click-store';
import { clickRecordSchema, type ClickRecord } from '../clicks/click';
import { q, type StepRunner } from './sql-steps';

/**
 * The click spool in the ledger's database (table `click_spool`, migration 21), on either engine.
 * Writes join the group commit, so a spooled click is durable before the visitor is redirected;
 * reads are primary-key lookups. Records are parsed on the way out: nothing malformed leaves the
 * spool. On Postgres several processes share the spool: each moves the oldest rows, and a row
 * moved twice is the same click written twice into Redis (same key, same value).
 */
export function createStepClickSpool(db: StepRunner, now: () => number = Date.now): ClickSpool {
  const parse = (text: unknown): ClickRecord => clickRecordSchema.parse(JSON.parse(String(text)));
  return {
    put: (click, expiresAt) =>
      db.write(function* () {
        yield* q.run(
          'INSERT INTO click_spool (id, record, expires_at, spooled_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at',
          click.id,
          JSON.stringify(click),
          expiresAt,
          now(),
        );
      }),
    get: (clickId, at) =>
      db.read(function* () {
        const row = yield* q.get('SELECT record FROM click_spool WHERE id = ? AND expires_at > ?', clickId, at);
        return row ? parse(row.record) : undefined;
      }),
    oldest: (limit) =>
      db.read(function* () {
        return (yield* q.all('SELECT record, expires_at FROM click_spool ORDER BY spooled_at, id LIMIT ?', limit)).map((r) => ({
          click: parse(r.record),
          expiresAt: Number(r.expires_at),
        }));
      }),
    remove: async (ids) => {
      if (ids.length === 0) return;
      const sorted = [...ids].sort();
      await db.write(function* () {
        for (const id of sorted) yield* q.run('DELETE FROM click_spool WHERE id = ?', id);
      });
    },
  };
}
