import type { Logger } from '../logger';
import type { Ledger, StatCount } from '../store/ledger';

const MINUTE = 60_000;

/** Names counted in `stat_counts` (GET /v1/stats reads them back). */
export type TallyName = 'click' | 'postback.duplicate' | 'postback.updated';

/**
 * Counts the overview needs that no ledger row holds (clicks live in the click store, duplicates
 * are not stored), per minute, written to the ledger every few seconds instead of on each
 * request: a click or a duplicate postback costs a map update, not a write. Counts not yet
 * flushed when the process dies are lost (at most `intervalMs` of them).
 */
export function createTally(deps: { ledger: Ledger; now: () => number; logger: Logger; intervalMs?: number }) {
  const pending = new Map<string, StatCount>();
  let flushing: Promise<void> = Promise.resolve();
  let closed = false;

  function add(name: TallyName, n = 1): void {
    const bucket = Math.floor(deps.now() / MINUTE) * MINUTE;
    const key = `${name}@${bucket}`;
    const c = pending.get(key);
    if (c) c.n += n;
    else pending.set(key, { name, bucket, n });
  }

  function flush(): Promise<void> {
    flushing = flushing.then(async () => {
      if (pending.size === 0) return;
      const rows = [...pending.values()];
      pending.clear();
      try {
        await deps.ledger.addStatCounts(rows);
      } catch (err) {
        // Kept for the next flush: a storage hiccup delays the counts, it does not lose them.
        for (const r of rows) {
          const c = pending.get(`${r.name}@${r.bucket}`);
          if (c) c.n += r.n;
          else pending.set(`${r.name}@${r.bucket}`, r);
        }
        deps.logger.warn({ err }, 'stat counters not written; retrying at the next flush');
      }
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), deps.intervalMs ?? 5_000);
  timer.unref();

  return {
    add,
    flush,
    /** Last flush, before the ledger closes. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await flush();
    },
  };
}
export type Tally = ReturnType<typeof createTally>;
