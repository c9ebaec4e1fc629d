import type { Logger } from 'pino';
import type { HttpClient } from '../connector-kit/http-types';
import { newId } from '../ids';
import type { AttemptHook } from '../store/attempt-records';
import type { AttemptResult, ClaimedDelivery, Ledger } from '../store/ledger';
import { attemptBatch } from './attempt';
import { chunkByDestination, claimSizer, type EngineRequest, orphan } from './engine-requests';
import type { BackoffOptions } from './backoff';
import type { DestinationDirectory, ResolvedDestination } from './destinations';
import { StorageUnavailableError } from '../health/unavailable';

/** Rounds of `concurrency` slots a claim waits to have free, and that may be claimed at once (in flight and waiting). */
const CLAIM_MIN_ROUNDS = 2;
const CLAIMED_ROUNDS = 4;

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
  /** The loop's idle wait: its resolve and its poll timer (engine-level, so a wait allocates no closures of its own). */
  let wake: (() => void) | null = null;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const stats = { attempts: 0, succeeded: 0, failed: 0 };
  /** The attempt's dependencies, the same for every batch (not an object per request). */
  const attemptDeps = { http, now, backoff: options.backoff, ...(deps.random ? { random: deps.random } : {}) };

  function notify(): void {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    const resolve = wake;
    wake = null;
    resolve?.();
  }

  /** Until `ms` pass or notify(): the loop wakes about once per finished request on a busy outbox. */
  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      wake = resolve;
      idleTimer = setTimeout(notify, ms);
    });
  }

  /**
   * One request, then its record. The slot is given back as soon as the answer is known when every
   * item succeeded: the record's commit and fsync no longer hold a request slot (the row stays
   * leased to us until the record commits, so no claim can take it meanwhile, and a crash before
   * the commit re-sends it with the same key, as it always did). A failure keeps the slot until it
   * is recorded, so a pause or a deactivation is stored before the next claim can send more.
   */
  function runBatch(dest: ResolvedDestination | undefined, batch: ClaimedDelivery[]): Run {
    const attempted: Promise<AttemptResult[]> = dest
      ? attemptBatch(dest, batch, owner, attemptDeps)
      : Promise.resolve(batch.map(({ delivery }) => orphan(delivery.id, delivery.destinationId, delivery.attempts + 1, owner, now())));
    const record = attempted.then(recordResults);
    const request = attempted.then((results) => (results.every((r) => r.status === 'succeeded') ? undefined : record));
    return { attempted, request, record };
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

  /** A full disk is counted and logged once per episode by the ledger's monitor (src/health). */
  function reportCrash(err: unknown): void {
    if (!(err instanceof StorageUnavailableError)) logger.error({ err }, 'delivery batch crashed');
  }

  function track(run: Run): void {
    const slot = run.request
      .catch(() => undefined)
      .finally(() => {
        inFlight.delete(slot);
        notify();
      });
    inFlight.add(slot);
    const record = run.record.catch(reportCrash).finally(() => {
      recording.delete(record);
      notify();
    });
    recording.add(record);
  }

  /**
   * Claimed requests not started yet, oldest first. The engine claims AHEAD: a claim answers only
   * after its commit and WAL sync (up to two syncs when one is running), and an engine that
   * claimed only for its free slots left them idle that long every round (measured: the drain
   * waited on claims). Up to three rounds of slots wait claimed (CLAIMED_ROUNDS, one in flight),
   * the next claim is made while those are sent, so claims are larger (fewer statements and
   * commits per delivery) and off the path. Rows stay leased to us while they wait
   * (milliseconds; the lease is `leaseMs`).
   */
  const ready: EngineRequest[] = [];
  /**
   * Destinations with a failed request not yet recorded: not claimed, their waiting requests given
   * back. A pause or deactivation is stored before more of their deliveries are sent.
   */
  const cooling = new Map<string, number>();
  let claiming: Promise<void> | null = null;
  /** Failures seen (a sequence), and each destination's latest: a claim that started before it gives that destination's rows back. */
  let failures = 0;
  const failedSeq = new Map<string, number>();
  /** When the last claim found nothing due (performance.now()): the next waits `pollMs`, or a notify. */
  let emptyAt = -Infinity;
  let heldList: readonly string[] = [];
  let heldSet = new Set<string>();

  function held(): Set<string> {
    const list = destinations.heldIds();
    if (list !== heldList) {
      heldList = list;
      heldSet = new Set(list);
    }
    return heldSet;
  }

  const sizer = claimSizer(destinations);

  async function claimRound(room: number): Promise<void> {
    const seen = failures;
    const hold = cooling.size > 0 ? [...new Set([...destinations.heldIds(), ...cooling.keys()])] : destinations.heldIds();
    const limit = sizer.limit(room);
    const claimed = await ledger.claimDue({ owner, now: now(), leaseMs: options.leaseMs, limit, holdDestinations: hold });
    if (claimed.length === 0) emptyAt = performance.now();
    const requests = chunkByDestination(claimed, destinations);
    sizer.found(claimed.length, requests.length, limit, room);
    // More requests than room (batches smaller than the largest connector's): the surplus goes back,
    // and so do the rows of a destination that failed while this claim ran (its record decides first).
    const late = (r: (typeof requests)[number]) => failures !== seen && (failedSeq.get(r.batch[0]?.delivery.destinationId ?? '') ?? 0) > seen;
    const keep = requests.filter((r) => !late(r));
    const surplus = [...requests.filter(late), ...keep.slice(room)].flatMap((r) => r.batch.map((c) => c.delivery.id));
    for (const r of keep.slice(0, room)) ready.push(r);
    if (surplus.length > 0) await ledger.release(surplus, owner);
  }

  /** Gives back the waiting requests of destinations that may not be sent to now. */
  async function releaseWaiting(keep: (destinationId: string) => boolean): Promise<void> {
    const ids: string[] = [];
    for (let i = ready.length - 1; i >= 0; i--) {
      const r = ready[i] as (typeof ready)[number];
      const id = r.batch[0]?.delivery.destinationId ?? '';
      if (keep(id)) continue;
      ready.splice(i, 1);
      for (const c of r.batch) ids.push(c.delivery.id);
    }
    if (ids.length > 0) await ledger.release(ids, owner);
  }

  function startReady(): void {
    const h = held();
    let blocked = false;
    while (ready.length > 0 && inFlight.size < options.concurrency) {
      const r = ready.shift() as (typeof ready)[number];
      const id = r.batch[0]?.delivery.destinationId ?? '';
      if (h.has(id) || cooling.has(id)) {
        // Held or failing since it was claimed: back to the outbox, with the others of its kind.
        ready.unshift(r);
        blocked = true;
        break;
      }
      const run = runBatch(r.dest, r.batch);
      track(run);
      if (r.dest) cool(id, run);
    }
    if (blocked) {
      void releaseWaiting((d) => !h.has(d) && !cooling.has(d))
        .catch(report)
        .finally(notify);
    }
  }

  /** A request that did not succeed entirely holds its destination back until its record is committed. */
  function cool(destinationId: string, run: Run): void {
    run.attempted.then(
      (results) => {
        if (results.every((r) => r.status === 'succeeded')) return;
        failedSeq.set(destinationId, ++failures);
        cooling.set(destinationId, (cooling.get(destinationId) ?? 0) + 1);
        void releaseWaiting((d) => d !== destinationId).catch(report);
        const done = () => {
          const n = (cooling.get(destinationId) ?? 1) - 1;
          if (n <= 0) cooling.delete(destinationId);
          else cooling.set(destinationId, n);
          notify();
        };
        run.record.then(done, done);
      },
      () => undefined,
    );
  }

  function report(err: unknown): void {
    if (!(err instanceof StorageUnavailableError)) logger.error({ err }, 'claiming deliveries failed');
  }

  async function loop(): Promise<void> {
    // A claim waits until two rounds of slots' worth are free: each claim is a commit and a WAL
    // sync, and claiming for every quarter round made claims a third of a busy engine's commits
    // (bench/README.md "Delivery engine CPU (h-deliver, round 5)": a claim a quarter round, up to
    // two rounds claimed, against two and four).
    const minClaim = CLAIM_MIN_ROUNDS * options.concurrency;
    while (!stopping) {
      startReady();
      // Claimed (in flight + waiting) stays within CLAIMED_ROUNDS rounds of slots, so the waiting
      // rounds are sent while the next claim commits; records waiting for their commit are bounded
      // too: at most two rounds behind.
      const room = CLAIMED_ROUNDS * options.concurrency - inFlight.size - ready.length;
      const wantClaim = !claiming && room >= minClaim && recording.size <= 2 * options.concurrency;
      // Real time, not `now` (a test's clock may stand still).
      if (wantClaim && performance.now() - emptyAt >= options.pollMs) {
        claiming = claimRound(room)
          .catch(async (err: unknown) => {
            report(err);
            emptyAt = performance.now();
          })
          .finally(() => {
            claiming = null;
            notify();
          });
      }
      await idle(options.pollMs);
    }
    await claiming;
    await releaseWaiting(() => false).catch(report);
  }

  return {
    owner,
    stats,
    /** New work in the outbox: claim now, not at the next poll. */
    notify(): void {
      emptyAt = -Infinity;
      notify();
    },
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

interface Run {
  attempted: Promise<AttemptResult[]>;
  /** Settles when the request's slot is free. */
  request: Promise<void>;
  record: Promise<void>;
}
