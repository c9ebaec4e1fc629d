import type { Logger } from 'pino';
import type { HttpClient } from '../connector-kit/http-types';
import { newId } from '../ids';
import type { AttemptHook } from '../store/attempt-records';
import type { AttemptResult, ClaimedDelivery, Ledger } from '../store/ledger';
import { attemptBatch } from './attempt';
import type { BackoffOptions } from './backoff';
import type { DestinationDirectory, ResolvedDestination } from './destinations';
import { StorageUnavailableError } from '../health/unavailable';

export interface EngineOptions {
  /** Most requests in flight at once. */
  concurrency: number;
  pollMs: number;
  /** How long a claim is ours; a crashed worker's claims come back after this. Must exceed the longest request timeout. */
  leaseMs: number;
  backoff: BackoffOptions;
}

export interface EngineDeps {
  ledger: Ledger;
  destinations: DestinationDirectory;
  http: HttpClient;
  now: () => number;
  logger: Logger;
  options: EngineOptions;
  random?: () => number;
  /** Statements committed together with each batch's attempt records (the network side's failure streaks). */
  attemptHook?: AttemptHook;
  /** Runs after each batch's results are committed: in-memory only (metrics). */
  afterAttempts?: (results: AttemptResult[]) => void;
}

/**
 * The worker: the outbox is the queue. It claims due deliveries with a lease, groups them per
 * destination into requests of at most the connector's batch size, runs up to `concurrency`
 * requests at once and records every attempt. Killed at any moment, it loses nothing: an
 * unfinished claim expires and another (or the restarted) worker takes it again, with the
 * same de-duplication key.
 */
export function createDeliveryEngine(deps: EngineDeps) {
  const { ledger, destinations, http, now, logger, options } = deps;
  const owner = `w-${newId().slice(0, 12)}`;
  /** Requests in flight (the `concurrency` slots). */
  const inFlight = new Set<Promise<void>>();
  /** Records not yet committed, of requests that gave their slot back already. */
  const recording = new Set<Promise<void>>();
  let stopping = false;
  let running: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  const stats = { attempts: 0, succeeded: 0, failed: 0 };
  /** The attempt's dependencies, the same for every batch (not an object per request). */
  const attemptDeps = { http, now, backoff: options.backoff, ...(deps.random ? { random: deps.random } : {}) };

  function notify(): void {
    wake?.();
  }

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  /**
   * One request, then its record. The slot is given back as soon as the answer is known when every
   * item succeeded: the record's commit and fsync no longer hold a request slot (the row stays
   * leased to us until the record commits, so no claim can take it meanwhile, and a crash before
   * the commit re-sends it with the same key, as it always did). A failure keeps the slot until it
   * is recorded, so a pause or a deactivation is stored before the next claim can send more.
   */
  function runBatch(dest: ResolvedDestination | undefined, batch: ClaimedDelivery[]): { request: Promise<void>; record: Promise<void> } {
    const attempted: Promise<AttemptResult[]> = dest
      ? attemptBatch(dest, batch, owner, attemptDeps)
      : Promise.resolve(batch.map(({ delivery }) => orphan(delivery.id, delivery.destinationId, delivery.attempts + 1)));
    const record = attempted.then(recordResults);
    const request = attempted.then((results) => (results.every((r) => r.status === 'succeeded') ? undefined : record));
    return { request, record };
  }

  async function recordResults(results: AttemptResult[]): Promise<void> {
    await ledger.completeAttempts(results, now(), deps.attemptHook);
    deps.afterAttempts?.(results);
    // A success is logged at debug only: its line is not even built when debug is off (the hot path).
    const debug = logger.isLevelEnabled('debug');
    for (const r of results) {
      stats.attempts++;
      if (r.status === 'succeeded') stats.succeeded++;
      else stats.failed++;
      const a = r.attempt;
      if (a.outcome === 'succeeded' && !debug) continue;
      const line = {
        destination: r.destinationId,
        delivery: r.deliveryId,
        attempt: a.attempt,
        outcome: a.outcome,
        kind: a.errorKind ?? undefined,
        status: a.responseStatus ?? undefined,
        durationMs: a.durationMs,
        next: a.nextStep,
      };
      if (a.outcome === 'succeeded') logger.debug(line, 'delivery attempt');
      else logger.warn({ ...line, error: a.errorMessage }, 'delivery attempt failed');
      if (r.pause) logger.error({ destination: r.destinationId, reason: r.pause.reason }, 'destination paused');
    }
  }

  function orphan(deliveryId: string, destinationId: string, attempt: number): AttemptResult {
    const t = now();
    const message = `destination "${destinationId}" is no longer configured`;
    return {
      deliveryId,
      leaseOwner: owner,
      destinationId,
      status: 'dead',
      nextAttemptAt: t,
      health: 'neutral',
      attempt: {
        attempt,
        startedAt: t,
        durationMs: 0,
        exchangeId: null,
        request: null,
        responseStatus: null,
        responseBody: null,
        outcome: 'failed',
        errorKind: 'config',
        errorMessage: message,
        platformCode: null,
        note: null,
        nextStep: 'dead',
        nextAttemptAt: null,
      },
    };
  }

  function track(run: { request: Promise<void>; record: Promise<void> }): void {
    // A full disk is counted and logged once per episode by the ledger's monitor (src/health).
    const report = (err: unknown) => {
      if (!(err instanceof StorageUnavailableError)) logger.error({ err }, 'delivery batch crashed');
    };
    const slot = run.request
      .catch(() => undefined)
      .finally(() => {
        inFlight.delete(slot);
        notify();
      });
    inFlight.add(slot);
    const record = run.record.catch(report).finally(() => {
      recording.delete(record);
      notify();
    });
    recording.add(record);
  }

  async function loop(): Promise<void> {
    // Claim in rounds of at least a quarter of the slots while requests are in flight: claiming
    // every time ONE slot frees up would cost a claim statement per delivery on a busy outbox.
    const minClaim = Math.max(1, Math.ceil(options.concurrency / 4));
    while (!stopping) {
      const free = options.concurrency - inFlight.size;
      // Records waiting for their commit are bounded too: at most one round of slots behind.
      if (free <= 0 || (free < minClaim && inFlight.size > 0) || recording.size > 2 * options.concurrency) {
        await idle(options.pollMs);
        continue;
      }
      let claimed: ClaimedDelivery[];
      try {
        claimed = await ledger.claimDue({
          owner,
          now: now(),
          leaseMs: options.leaseMs,
          limit: Math.min(1000, free * destinations.maxBatch()),
          holdDestinations: destinations.heldIds(),
        });
      } catch (err) {
        if (!(err instanceof StorageUnavailableError)) logger.error({ err }, 'claiming deliveries failed');
        await idle(options.pollMs);
        continue;
      }
      if (claimed.length === 0) {
        await idle(options.pollMs);
        continue;
      }
      const requests = chunkByDestination(claimed, destinations);
      // More requests than free slots: give the surplus back rather than hold claims idle.
      const now_ = requests.slice(0, free);
      const surplus = requests.slice(free).flatMap((r) => r.batch.map((c) => c.delivery.id));
      if (surplus.length > 0) await ledger.release(surplus, owner);
      for (const r of now_) track(runBatch(r.dest, r.batch));
    }
  }

  return {
    owner,
    stats,
    notify,
    start(): void {
      if (!running) running = loop();
    },
    /** Stop claiming, let in-flight attempts finish and be recorded. */
    async stop(): Promise<void> {
      stopping = true;
      notify();
      await running;
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...recording]);
    },
    inFlight: () => inFlight.size,
  };
}
export type DeliveryEngine = ReturnType<typeof createDeliveryEngine>;

function chunkByDestination(claimed: ClaimedDelivery[], destinations: DestinationDirectory) {
  const groups = new Map<string, ClaimedDelivery[]>();
  for (const c of claimed) {
    const list = groups.get(c.delivery.destinationId) ?? [];
    list.push(c);
    groups.set(c.delivery.destinationId, list);
  }
  const out: Array<{ dest: ResolvedDestination | undefined; batch: ClaimedDelivery[] }> = [];
  for (const [id, list] of groups) {
    const dest = destinations.get(id);
    const size = dest?.connector.limits.maxBatch ?? 1;
    for (let i = 0; i < list.length; i += size) out.push({ dest, batch: list.slice(i, i + size) });
  }
  return out;
}
