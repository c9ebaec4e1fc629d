import { newId } from '../ids';
import type { Dialect } from './dialect';
import type { AttemptResult } from './ledger';
import { SQL } from './ledger-sql';
import { paddedChunks, q, type Job, type StepRunner, type Steps } from './sql-steps';

/** Rows per multi-row INSERT, at most: 13 parameters a row stays far below both engines' limits. */
const CHUNK = 400;
/**
 * Rows per finishing UPDATE, at most; its row counts are padded to powers of two (sql-steps.ts
 * paddedChunks), as a repeated row changes nothing there. The INSERTs are not split into powers
 * of two: measured, a dispatcher job then ran 3× the statements (bench/README.md "Outbox SQL
 * (h-settle, round 5)").
 */
const UPDATE_CHUNK = 256;
/**
 * Rows sharing every new value that take the `id IN (…)` UPDATE: a batch's successes (TikTok,
 * Meta: dozens answered by one response, GATHER_ITEMS being such a batch's least size). Smaller
 * groups join the VALUES statement: in the dispatcher, one-item requests that finished in the same
 * millisecond share their values too, and with a statement per group of 8 or more the finishing
 * UPDATEs per delivery went from 0.02 to 0.07 (bench/README.md "Outbox SQL (h-settle, round 5)").
 */
const SHARED_MIN = 32;
/**
 * A recording job waits up to GATHER_MS for GATHER_ITEMS attempts before it is submitted. Submitted
 * after one turn, a job carried ~14 attempts on a busy engine (the WAL sync returns in ~0.2 ms, so
 * commits came back to back): each paid its own statements, savepoint, commit and fdatasync, and
 * on this machine the syncs alone were ~30 % of the dispatcher's CPU (bench/README.md "Dispatcher
 * and batching (h-dispatch, round 4)"). The wait delays no answer a caller sees: a success's slot
 * is free before its record, its row stays leased to us meanwhile.
 */
const GATHER_MS = 10;
const GATHER_ITEMS = 32;

const ATTEMPT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** A statement text per (kind, dialect, row count), built once: at most CHUNK counts an INSERT, log2(UPDATE_CHUNK) + 1 an UPDATE. */
const texts = new Map<string, string>();
function text(key: string, build: () => string): string {
  let t = texts.get(key);
  if (t === undefined) {
    t = build();
    texts.set(key, t);
  }
  return t;
}
export const insertAttempts = (n: number) =>
  text(
    `a${n}`,
    () => `INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, exchange_id,
    outcome, error_kind, error_message, platform_code, note, next_step, next_attempt_at) VALUES ${Array(n).fill(ATTEMPT_ROW).join(', ')}`,
  );
export const insertExchanges = (n: number) =>
  text(
    `e${n}`,
    () => `INSERT INTO exchanges (id, request, response_status, response_body, response_headers) VALUES ${Array(n).fill('(?, ?, ?, ?, ?)').join(', ')}`,
  );

const FINISH_COLUMNS = [
  ['id', 'text'],
  ['owner', 'text'],
  ['status', 'text'],
  ['next_at', 'bigint'],
  ['err', 'text'],
  ['kind', 'text'],
  ['at', 'bigint'],
  ['ids', 'text'],
] as const;
/**
 * An attempt's delivery row, finished for many rows at once, each with its own values: only rows
 * whose lease is still ours change. A repeated row (the padding of paddedChunks) updates its
 * delivery once: of several joined rows for one target row, both engines use one.
 */
export const finishDeliveries = (d: Dialect, n: number) =>
  text(
    `f${d.name}${n}`,
    () => `UPDATE deliveries SET status = v.status, attempts = deliveries.attempts + 1,
    next_attempt_at = v.next_at, lease_owner = NULL, lease_until = NULL, last_error = v.err, last_kind = v.kind, updated_at = v.at,
    identifiers_sent = COALESCE(v.ids, deliveries.identifiers_sent)
  FROM ${d.valuesTable(FINISH_COLUMNS, n)}
  WHERE deliveries.id = v.id AND deliveries.lease_owner = v.owner`,
  );
/**
 * The same for rows that share every new value — a batch's successes, answered by one response
 * at one time: seven values and the ids, not eight values a row joined in (bench/README.md,
 * "Outbox SQL (h-settle, round 5)").
 */
export const finishSharedDeliveries = (n: number) =>
  text(
    `s${n}`,
    () => `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
    last_error = ?, last_kind = ?, updated_at = ?, identifiers_sent = COALESCE(?, identifiers_sent)
  WHERE lease_owner = ? AND id IN (${Array(n).fill('?').join(', ')})`,
  );

export interface Finished {
  r: AttemptResult;
  now: number;
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** A finished attempt's new delivery values, in finishDeliveries' column order after the id. */
function finishValues({ r, now }: Finished): unknown[] {
  return [
    r.leaseOwner,
    r.status,
    r.nextAttemptAt,
    r.attempt.errorMessage,
    r.attempt.errorKind,
    now,
    r.identifiersSent ? JSON.stringify(r.identifiersSent) : null,
  ];
}

/** The deliveries' new state: rows sharing their values in one `id IN (…)` per group, the others joined to a VALUES table. */
function* finish(d: Dialect, items: readonly Finished[]): Steps<void> {
  const groups = new Map<string, { values: unknown[]; ids: string[] }>();
  for (const f of items) {
    const values = finishValues(f);
    const key = JSON.stringify(values);
    const g = groups.get(key);
    if (g) g.ids.push(f.r.deliveryId);
    else groups.set(key, { values, ids: [f.r.deliveryId] });
  }
  const own: unknown[][] = [];
  for (const { values, ids } of groups.values()) {
    if (ids.length < SHARED_MIN) {
      for (const id of ids) own.push([id, ...values]);
      continue;
    }
    const [owner, ...set] = values;
    for (const c of paddedChunks(ids, UPDATE_CHUNK)) yield* q.run(finishSharedDeliveries(c.length), ...set, owner, ...c);
  }
  for (const c of paddedChunks(own, UPDATE_CHUNK)) yield* q.run(finishDeliveries(d, c.length), ...c.flat());
}

/**
 * Records finished attempts — exchanges, attempt rows, the deliveries' new state, destination
 * health — in a handful of statements whatever their number. One statement per kind of row (the deliveries': one more per
 * batch of shared values), not one per attempt; destination_state is written last and in destination order, so two
 * processes never lock those shared rows crosswise.
 */
export function* recordAttempts(d: Dialect, items: readonly Finished[], healthyAt: Map<string, number>): Steps<void> {
  const exchanges = new Map<string, unknown[]>();
  for (const { r } of items) {
    const a = r.attempt;
    if (a.exchangeId && !exchanges.has(a.exchangeId))
      exchanges.set(a.exchangeId, [
        a.exchangeId,
        a.request ? JSON.stringify(a.request) : null,
        a.responseStatus,
        a.responseBody,
        a.responseHeaders ? JSON.stringify(a.responseHeaders) : null,
      ]);
  }
  for (const c of chunks([...exchanges.values()])) yield* q.run(insertExchanges(c.length), ...c.flat());
  for (const c of chunks(items))
    yield* q.run(
      insertAttempts(c.length),
      ...c.flatMap(({ r }) => {
        const a = r.attempt;
        return [
          newId(),
          r.deliveryId,
          a.attempt,
          a.startedAt,
          a.durationMs,
          a.exchangeId,
          a.outcome,
          a.errorKind,
          a.errorMessage,
          a.platformCode,
          a.note,
          a.nextStep,
          a.nextAttemptAt,
        ];
      }),
    );
  yield* finish(d, items);
  const health: Array<{ destinationId: string; write: () => Steps<unknown> }> = [];
  for (const { r, now } of items) {
    if (r.health === 'success') {
      // Written at most once a second per destination: it is the hot path of a busy destination.
      const last = healthyAt.get(r.destinationId);
      if (last === undefined || now - last >= 1000) {
        healthyAt.set(r.destinationId, now);
        health.push({ destinationId: r.destinationId, write: () => q.run(SQL.healthSuccess, r.destinationId, now) });
      }
    } else if (r.health === 'failure') {
      healthyAt.delete(r.destinationId);
      health.push({ destinationId: r.destinationId, write: () => q.run(SQL.healthFailure, r.destinationId, now, now) });
    }
    if (r.pause) {
      healthyAt.delete(r.destinationId);
      const reason = r.pause.reason;
      health.push({ destinationId: r.destinationId, write: () => q.run(SQL.pause, r.destinationId, reason, now) });
    }
  }
  health.sort((a, b) => (a.destinationId < b.destinationId ? -1 : a.destinationId > b.destinationId ? 1 : 0));
  for (const h of health) yield* h.write();
}

/**
 * Statements another part of the gateway adds to the job that records attempts, so that they
 * commit together: the network side's partner-postback failure streak (src/network/after-attempts.ts).
 * A process killed after that commit has both; killed before, neither — the lease expires, the
 * attempt is made again and counted then. Never one without the other.
 */
export interface AttemptHook<T = unknown> {
  /** Runs inside the recording job, after the attempt rows (a Postgres batch may run it again after a deadlock: no side effects). */
  steps(results: readonly AttemptResult[], now: number, d: Dialect): Steps<T>;
  /** After the commit, with what `steps` returned: in-memory consequences only (caches, logs, waking the engine). */
  committed(value: T): void;
}

interface Call {
  items: Finished[];
  hook: AttemptHook | undefined;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Calls become ONE write job over all their items — and their hooks' statements; every caller is
 * answered when that job commits (or fails with it). The job takes every call made until it
 * STARTS, not only those of one event-loop turn: while a group commit waits for the previous WAL
 * sync, the records of several turns queue behind it, and as separate jobs each paid its own
 * statements (exchanges, attempts, deliveries) and savepoint — measured, the fixed cost of a
 * statement is most of a small batch's (bench/dispatch-probe.ts). A job re-run by its engine
 * (Postgres after a deadlock) runs over the same calls: none is added once it has started.
 */
export function attemptRecorder(db: StepRunner) {
  /** Destinations this process last saw succeed (no failure since), and when it wrote that. */
  const healthyAt = new Map<string, number>();
  /** The calls of the job not started yet (gathering, or submitted): new calls join it. */
  let open: Call[] | null = null;
  /** The open job while it gathers (not submitted yet), its item count and how to submit it now. */
  let gathering: { calls: Call[]; items: number; now: () => void } | null = null;

  function job(calls: Call[]): Job<Array<[AttemptHook, unknown]>> {
    let frozen: { items: Finished[]; hooked: Map<AttemptHook, Finished[]> } | null = null;
    return function* (d) {
      if (!frozen) {
        if (open === calls) open = null;
        const hooked = new Map<AttemptHook, Finished[]>();
        for (const c of calls) if (c.hook) hooked.set(c.hook, [...(hooked.get(c.hook) ?? []), ...c.items]);
        frozen = { items: calls.flatMap((c) => c.items), hooked };
      }
      yield* recordAttempts(d, frozen.items, healthyAt);
      const values: Array<[AttemptHook, unknown]> = [];
      for (const [hook, list] of frozen.hooked) {
        const now = Math.max(...list.map((f) => f.now));
        values.push([
          hook,
          yield* hook.steps(
            list.map((f) => f.r),
            now,
            d,
          ),
        ]);
      }
      return values;
    };
  }

  function submit(calls: Call[]): void {
    db.write(job(calls)).then(
      (values) => {
        try {
          for (const [hook, value] of values) hook.committed(value);
        } catch (err) {
          // Stored and committed; only the in-memory follow-up failed (the callers log it).
          for (const c of calls) c.reject(err);
          return;
        }
        for (const c of calls) c.resolve();
      },
      (err: unknown) => {
        if (open === calls) open = null;
        for (const c of calls) c.reject(err);
      },
    );
  }

  return {
    add(results: readonly AttemptResult[], now: number, hook?: AttemptHook): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const call = { items: results.map((r) => ({ r, now })), hook, resolve, reject };
        if (open) {
          open.push(call);
          if (gathering?.calls === open) {
            gathering.items += call.items.length;
            if (gathering.items >= GATHER_ITEMS) gathering.now();
          }
          return;
        }
        const calls = [call];
        open = calls;
        let submitted = false;
        const go = () => {
          if (submitted) return;
          submitted = true;
          clearTimeout(timer);
          if (gathering?.calls === calls) gathering = null;
          submit(calls);
        };
        // Enough attempts: submitted after this turn (the turn's other calls join first); else at GATHER_MS.
        const timer = setTimeout(go, GATHER_MS);
        gathering = {
          calls,
          items: call.items.length,
          now: () => {
            gathering = null;
            setImmediate(go);
          },
        };
        if (call.items.length >= GATHER_ITEMS) gathering.now();
      });
    },
  };
}
