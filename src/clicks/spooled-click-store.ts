import type { DependencyMonitor } from '../health/monitor';
import { ClickStoreUnavailableError } from '../health/unavailable';
import type { ClickRecord } from './click';
import type { ClickStore } from './click-store';

/**
 * Durable local storage for clicks the click store could not take (the `click_spool` table of the
 * ledger, src/store/step-click-spool.ts). `put` resolves only once the click is on disk.
 */
export interface ClickSpool {
  put(click: ClickRecord, expiresAt: number): Promise<void>;
  get(clickId: string, now: number): Promise<ClickRecord | undefined>;
  /** The longest-waiting clicks first. */
  oldest(limit: number): Promise<Array<{ click: ClickRecord; expiresAt: number }>>;
  remove(clickIds: readonly string[]): Promise<void>;
}

export interface SpooledClickStoreOptions {
  primary: ClickStore;
  spool: ClickSpool;
  ttlMs: number;
  now: () => number;
  /** Failures of writes and of reads are separate episodes: Redis may refuse one and serve the other. */
  writes: DependencyMonitor;
  reads: DependencyMonitor;
  /** After a failure, skip the primary for this long (a hung Redis costs one timeout, not one per request). */
  breakMs?: number;
  /** How often the mover replays spooled clicks into the primary. */
  moveEveryMs?: number;
  moveBatch?: number;
}

/**
 * A remote click store (Redis) that never loses a click and never lies about one.
 *
 * - save: the click goes to the primary; if it fails or times out, to the spool on the local ledger
 *   (one group commit, durable), and the visitor is redirected as usual. Only when both fail does
 *   the click answer 503 — then nothing claims a click id that is not stored.
 * - get: the spool first (a local primary-key read, ~µs), then the primary. A primary that fails
 *   answers ClickStoreUnavailableError (503 + Retry-After, nothing stored): the network retries
 *   instead of the conversion being committed as unmatched.
 * - the mover replays spooled clicks into the primary (remaining TTL) and deletes them from the
 *   spool only after the primary took them, so a reader that misses the spool finds the click in
 *   the primary. Several processes may move the same rows: the writes are idempotent.
 */
export function createSpooledClickStore(options: SpooledClickStoreOptions) {
  const { primary, spool, now, writes, reads } = options;
  const breakMs = options.breakMs ?? 1_000;
  const moveBatch = options.moveBatch ?? 200;
  let writesBlockedUntil = 0;
  let readsBlockedUntil = 0;
  let lastReadError: unknown = null;
  let moving: Promise<number> | null = null;
  let closed = false;

  async function save(click: ClickRecord): Promise<void> {
    if (now() >= writesBlockedUntil) {
      try {
        await primary.save(click);
        writes.succeeded();
        return;
      } catch (err) {
        writes.failed(err, { operation: 'save' });
        writesBlockedUntil = now() + breakMs;
      }
    }
    // A StorageUnavailableError from here (the ledger's disk too) is the request's answer: 503.
    await spool.put(click, click.createdAt + options.ttlMs);
    writes.count('spooled');
  }

  async function get(clickId: string): Promise<ClickRecord | undefined> {
    const spooled = await spool.get(clickId, now());
    if (spooled) {
      reads.count('spool_hits');
      return spooled;
    }
    if (now() < readsBlockedUntil) {
      reads.failed(lastReadError, { operation: 'get' });
      throw new ClickStoreUnavailableError(lastReadError);
    }
    try {
      const click = await primary.get(clickId);
      reads.succeeded();
      return click;
    } catch (err) {
      reads.failed(err, { operation: 'get' });
      lastReadError = err;
      readsBlockedUntil = now() + breakMs;
      throw new ClickStoreUnavailableError(err);
    }
  }

  /** Replays spooled clicks into the primary; returns how many moved. Stops at the first failure. */
  async function moveOnce(): Promise<number> {
    let moved = 0;
    for (;;) {
      const rows = await spool.oldest(moveBatch);
      if (rows.length === 0) return moved;
      const done: string[] = [];
      let failed = false;
      let replayed = 0;
      for (const { click, expiresAt } of rows) {
        const left = expiresAt - now();
        if (left > 0) {
          try {
            await primary.save(click, left);
          } catch (err) {
            writes.failed(err, { operation: 'replay' });
            failed = true;
            break;
          }
          replayed++;
        } else writes.count('spool_expired');
        done.push(click.id);
      }
      if (done.length > 0) await spool.remove(done);
      moved += replayed;
      writes.count('replayed', replayed);
      if (failed) return moved;
      writes.succeeded();
      if (rows.length < moveBatch) return moved;
    }
  }

  function move(): Promise<number> {
    moving ??= moveOnce().finally(() => {
      moving = null;
    });
    return moving;
  }

  const timer = setInterval(() => {
    if (!closed) move().catch((err) => writes.failed(err, { operation: 'replay' }));
  }, options.moveEveryMs ?? 1_000);
  timer.unref();

  const store: ClickStore & { move(): Promise<number> } = {
    save,
    get,
    ping: () => primary.ping(),
    purgeExpired: () => primary.purgeExpired(),
    move,
    async close() {
      closed = true;
      clearInterval(timer);
      await moving?.catch(() => {});
      await primary.close();
    },
  };
  return store;
}
