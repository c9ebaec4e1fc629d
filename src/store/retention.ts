import { q, type StepRunner, type Steps } from './sql-steps';

export interface RetentionSettings {
  days: number | null;
  intervalMs: number;
  chunkSize: number;
}

export interface PurgeCounts {
  attempts: number;
  exchanges: number;
  rejections: number;
}

/**
 * One chunk of the retention purge, on either engine: at most `limit` attempts and rejections
 * older than `cutoff`, and the exchanges (request/response text) no attempt points at any more.
 * Chunks keep each transaction short, so on Postgres the purge never holds many row locks and
 * on SQLite it never holds the write lock for long. Conversions and deliveries are kept.
 */
export function* purgeChunk(cutoff: number, limit: number): Steps<PurgeCounts> {
  const gone = yield* q.all(
    'DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE started_at < ? ORDER BY started_at LIMIT ?) RETURNING exchange_id',
    cutoff,
    limit,
  );
  const exchangeIds = [...new Set(gone.map((r) => r.exchange_id).filter((x): x is string => typeof x === 'string'))];
  let exchanges = 0;
  for (let i = 0; i < exchangeIds.length; i += 500) {
    const ids = exchangeIds.slice(i, i + 500);
    // A batch's exchange is shared by its attempts: it goes with the last of them.
    exchanges += (yield* q.run(
      `DELETE FROM exchanges WHERE id IN (${ids.map(() => '?').join(', ')})
      AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.exchange_id = exchanges.id)`,
      ...ids,
    )).changes;
  }
  const rejections = (yield* q.run('DELETE FROM rejections WHERE id IN (SELECT id FROM rejections WHERE received_at < ? LIMIT ?)', cutoff, limit)).changes;
  return { attempts: gone.length, exchanges, rejections };
}

/** Purges everything older than `days` before `now`, chunk by chunk (each chunk one write job). */
export async function purgeExpiredHistory(db: StepRunner, settings: RetentionSettings, now: number): Promise<PurgeCounts> {
  const total: PurgeCounts = { attempts: 0, exchanges: 0, rejections: 0 };
  if (settings.days === null) return total;
  const cutoff = now - Math.round(settings.days * 86_400_000);
  for (;;) {
    const n = await db.write(() => purgeChunk(cutoff, settings.chunkSize));
    total.attempts += n.attempts;
    total.exchanges += n.exchanges;
    total.rejections += n.rejections;
    if (n.attempts < settings.chunkSize && n.rejections < settings.chunkSize) return total;
  }
}
