import type { ConversionRecord } from '../conversions/conversion';
import { newId } from '../ids';
import type { Dialect } from './dialect';
import { newWarnings } from '../conversions/warnings';
import type { ClaimedDelivery, DeliveryQuery, DeliveryRow, DeliveryStatus, Ledger, PostbackResult, PostbackWrite, RouteTarget } from './ledger';
import {
  CONVERSION_COLUMNS,
  conversionToRow,
  rowToAttempt,
  rowToConversion,
  rowToDelivery,
  rowToDestinationState,
  rowToReceivedPostback,
  rowToRejection,
  rowToWarnings,
  type Row,
} from './ledger-rows';
import { FEW_OUTCOME_MATCHES, NOT_SUCCEEDED, SQL, conversionSearchSql, outcomeCountSql, postbackListSql } from './ledger-sql';
import { windowStatsFrom } from './window-stats';
import { attemptRecorder } from './attempt-records';
import { queueAdjustments } from './adjustment-sql';
import { ADJUSTMENT_TYPES, adjustmentDestinationId } from '../connector-kit/adjustment';
import { paddedChunks, q, type StepRunner, type Steps } from './sql-steps';

/**
 * The Ledger over any engine's StepRunner (sql-steps.ts): ONE implementation for SQLite and
 * Postgres. The SQL is ledger-sql.ts's; what only a multi-process engine needs is here and visible:
 *  - a conversion is inserted with ON CONFLICT DO NOTHING on (source, transaction_id, event), so
 *    of two processes receiving the same transaction at the same moment exactly one inserts it
 *    and the other finds it and answers `duplicate: true`;
 *  - an existing conversion is read FOR UPDATE before its status changes (two status changes
 *    from two processes serialise on the row);
 *  - the claim locks the rows it takes with FOR UPDATE SKIP LOCKED (dialect.claimLock).
 * To add a Ledger method: add its SQL to ledger-sql.ts, then one entry here; the same tests run on
 * both engines (`npm run test:postgres`).
 */
const CLAIM_INNER_LIMIT = 'LIMIT ?)';
/** Conversions read per statement at claim, at most (a power of two). */
const CLAIM_READ_CHUNK = 512;

const insertConversionIfNew = `${SQL.insertConversion} ON CONFLICT (source, transaction_id, event) DO NOTHING RETURNING id`;
const CONVERSION_ROW = `(${CONVERSION_COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})`;

/** The multi-row INSERTs of recordMany, by row count (powers of two, chunksOf): built once each, not per turn. */
const manySql = new Map<string, string>();
function manyConversionsSql(n: number): string {
  const key = `c${n}`;
  let text = manySql.get(key);
  if (text === undefined) {
    text = `INSERT INTO conversions (${CONVERSION_COLUMNS}) VALUES ${Array(n).fill(CONVERSION_ROW).join(', ')}
      ON CONFLICT (source, transaction_id, event) DO NOTHING RETURNING id`;
    manySql.set(key, text);
  }
  return text;
}
function manyDeliveriesSql(n: number): string {
  const key = `d${n}`;
  let text = manySql.get(key);
  if (text === undefined) {
    text = insertDeliveriesSql(n).replace('RETURNING id, destination_id', 'RETURNING id, conversion_id, destination_id');
    manySql.set(key, text);
  }
  return text;
}

function insertDeliveriesSql(n: number): string {
  const row = `(?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`;
  return `INSERT INTO deliveries (id, conversion_id, destination_id, connector, dedup_key, status, attempts, max_attempts,
      next_attempt_at, created_at, updated_at)
    VALUES ${Array(n).fill(row).join(', ')}
    ON CONFLICT (conversion_id, destination_id) DO NOTHING RETURNING id, destination_id`;
}

export function claimSql(d: Dialect, held: number): string {
  const text = SQL.claimDue(held);
  if (!d.claimLock) return text;
  if (!text.includes(CLAIM_INNER_LIMIT)) throw new Error('ledger-sql claimDue changed: the claim lock has no place to go');
  return text.replace(CLAIM_INNER_LIMIT, `LIMIT ?${d.claimLock})`);
}

function* insertDeliveries(
  conversion: ConversionRecord,
  targets: RouteTarget[],
  now: number,
): Steps<Array<{ id: string; destinationId: string; status: DeliveryStatus }>> {
  if (targets.length === 0) return [];
  const params = targets.flatMap((t) => [newId(), conversion.id, t.destinationId, t.connector, t.dedupKey, t.maxAttempts, now, now, now]);
  const rows = yield* q.all(insertDeliveriesSql(targets.length), ...params);
  return rows.map((r) => ({ id: String(r.id), destinationId: String(r.destination_id), status: 'pending' as const }));
}

function* deliverySummary(conversionId: string): Steps<PostbackResult['deliveries']> {
  return (yield* q.all(SQL.deliveriesOf, conversionId)).map((r) => ({
    id: String(r.id),
    destinationId: String(r.destination_id),
    status: r.status as DeliveryStatus,
  }));
}

/**
 * One postback. `known`: whether the batch's multi-row insert already inserted it (true) or found
 * it stored (false); undefined: insert it here.
 */
function* recordOne(d: Dialect, write: PostbackWrite, now: number, known?: boolean): Steps<PostbackResult> {
  const c = write.conversion;
  const inserted = known ?? Boolean(yield* q.get(insertConversionIfNew, ...conversionToRow(c)));
  if (inserted) {
    const deliveries = (yield* insertDeliveries(c, write.route(c), now)).sort((a, b) => (a.destinationId < b.destinationId ? -1 : 1));
    return { conversion: c, duplicate: false, updated: false, deliveries };
  }
  const existing = rowToConversion((yield* q.get(`${SQL.findConversion}${d.forUpdate}`, c.source, c.transactionId, c.event)) as Row);
  // Same status, or a late `pending` after the network already decided: nothing changes.
  if (existing.status === c.status || c.status === 'pending') {
    const adjustments = yield* queueAdjustments(write, existing, now); // a changed payout: restatements (adjustment-sql.ts)
    return { conversion: existing, duplicate: true, updated: false, deliveries: yield* deliverySummary(existing.id), adjustments };
  }
  // A status change: update, then route again; deliveries already made are never made twice.
  const changed: ConversionRecord = { ...existing, status: c.status, updatedAt: now };
  yield* q.run(SQL.updateConversionStatus, changed.status, now, changed.id);
  const targets = write.route(changed);
  if (targets.length > 0) {
    yield* insertDeliveries(changed, targets, now);
    for (const t of targets) yield* q.run(SQL.reviveCancelledDelivery, now, now, changed.id, t.destinationId);
  } else yield* q.run(SQL.cancelPendingDeliveries, now, changed.id, now);
  const adjustments = yield* queueAdjustments(write, existing, now); // after the cancel: a rejection's retractions stay pending
  return { conversion: changed, duplicate: false, updated: true, deliveries: yield* deliverySummary(changed.id), adjustments };
}

// One parameter per conversions column (17 today): 128 rows stay far below both engines' limits
// (SQLite 32,766, Postgres 65,535 parameters a statement).
const ROWS_PER_STATEMENT = 128;

/**
 * A turn's rows in chunks of powers of two, largest first (25 → 16 + 8 + 1). Each row count is a
 * statement text that stays prepared, holding native memory V8 does not see until it collects the
 * statement (≈ 0.17 MB for a conversions INSERT of 100 rows): one text per turn size made the
 * gateway grow by tens of MB as stalls brought new sizes (bench/README.md, "Memory (h-rss, round
 * 3)"); these are eight per table. Not padded to a size, as the click store's upsert is: a
 * repeated row would meet the primary key, which ON CONFLICT (the dedup key) does not cover.
 */
function* chunksOf<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; ) {
    let size = ROWS_PER_STATEMENT;
    while (size > items.length - i) size >>= 1;
    yield items.slice(i, i + size);
    i += size;
  }
}

/**
 * The postbacks of one event-loop turn in one job: their conversions in multi-row INSERTs
 * (ON CONFLICT DO NOTHING, sorted by key so two processes never wait on each other crosswise),
 * the deliveries of the new ones in one more; only the ones already stored (duplicates, status
 * changes) take the row-by-row path.
 */
function* recordMany(d: Dialect, items: ReadonlyArray<{ write: PostbackWrite; now: number }>): Steps<PostbackResult[]> {
  const byKey = [...items].sort((a, b) => {
    const x = a.write.conversion;
    const y = b.write.conversion;
    return x.source < y.source
      ? -1
      : x.source > y.source
        ? 1
        : x.transactionId < y.transactionId
          ? -1
          : x.transactionId > y.transactionId
            ? 1
            : x.event < y.event
              ? -1
              : x.event > y.event
                ? 1
                : 0;
  });
  const inserted = new Set<string>();
  for (const chunk of chunksOf(byKey)) {
    const rows = yield* q.all(manyConversionsSql(chunk.length), ...chunk.flatMap((it) => conversionToRow(it.write.conversion)));
    for (const r of rows) inserted.add(String(r.id));
  }
  const targets = items
    .filter((it) => inserted.has(it.write.conversion.id))
    .flatMap((it) => it.write.route(it.write.conversion).map((t) => ({ c: it.write.conversion, t, now: it.now })));
  const made = new Map<string, PostbackResult['deliveries']>();
  for (const chunk of chunksOf(targets)) {
    const rows = yield* q.all(
      manyDeliveriesSql(chunk.length),
      ...chunk.flatMap(({ c, t, now }) => [newId(), c.id, t.destinationId, t.connector, t.dedupKey, t.maxAttempts, now, now, now]),
    );
    for (const r of rows) {
      const list = made.get(String(r.conversion_id)) ?? [];
      list.push({ id: String(r.id), destinationId: String(r.destination_id), status: 'pending' });
      made.set(String(r.conversion_id), list);
    }
  }
  const results: PostbackResult[] = [];
  for (const it of items) {
    const c = it.write.conversion;
    if (inserted.has(c.id)) {
      const deliveries = (made.get(c.id) ?? []).sort((a, b) => (a.destinationId < b.destinationId ? -1 : 1));
      results.push({ conversion: c, duplicate: false, updated: false, deliveries });
    } else results.push(yield* recordOne(d, it.write, it.now, false));
  }
  return results;
}

/** recordPostback's queue: one recordMany job per event-loop turn; if that fails, each postback alone (a bad one fails alone). */
function postbackBatcher(db: StepRunner) {
  let queued: Array<{ write: PostbackWrite; now: number; resolve: (r: PostbackResult) => void; reject: (e: unknown) => void }> = [];
  return {
    add: (write: PostbackWrite, now: number) =>
      new Promise<PostbackResult>((resolve, reject) => {
        queued.push({ write, now, resolve, reject });
        if (queued.length > 1) return;
        setImmediate(() => {
          const items = queued;
          queued = [];
          db.write((d) => recordMany(d, items)).then(
            (results) => items.forEach((it, i) => it.resolve(results[i] as PostbackResult)),
            () => {
              for (const it of items) db.write((d) => recordOne(d, it.write, it.now)).then(it.resolve, it.reject);
            },
          );
        });
      }),
  };
}

export function createStepLedger(db: StepRunner, close: () => Promise<void>): Ledger {
  // Attempts finish one request at a time; those of one event-loop turn are recorded together,
  // in a few multi-row statements instead of three round trips each (attempt-records.ts).
  const finishing = attemptRecorder(db);
  const postbacks = postbackBatcher(db);

  return {
    recordPostback: (write, now) => postbacks.add(write, now),

    recordRejection: (r) =>
      db.write(function* () {
        yield* q.run(SQL.insertRejection, r.id, r.source, r.receivedAt, r.httpStatus, r.code, r.message, JSON.stringify(r.params));
      }),

    getConversion: (id) =>
      db.read(function* () {
        const r = yield* q.get(SQL.getConversion, id);
        return r ? rowToConversion(r) : null;
      }),

    getDelivery: (id) =>
      db.read(function* () {
        const r = yield* q.get(SQL.getDelivery, id);
        return r ? rowToDelivery(r) : null;
      }),

    listDeliveriesOf: (conversionId) =>
      db.read(function* () {
        return (yield* q.all(SQL.deliveriesOf, conversionId)).map(rowToDelivery);
      }),

    listAttempts: (ids) =>
      db.read(function* () {
        if (ids.length === 0) return [];
        return (yield* q.all(SQL.attemptsOf(ids.length), ...ids)).map(rowToAttempt);
      }),

    listDeliveries: (query: DeliveryQuery) =>
      db.read(function* () {
        const where: string[] = [];
        const params: unknown[] = [];
        if (query.status) where.push(query.status === 'succeeded' ? 'status = ?' : `status = ? AND ${NOT_SUCCEEDED()}`), params.push(query.status);
        if (query.destinationId) where.push('destination_id = ?'), params.push(query.destinationId);
        if (query.updatedSince !== undefined) where.push('updated_at >= ?'), params.push(query.updatedSince);
        if (query.ids) where.push(query.ids.length ? `id IN (${query.ids.map(() => '?').join(', ')})` : '1 = 0'), params.push(...query.ids);
        if (query.after) where.push('(created_at < ? OR (created_at = ? AND id > ?))'), params.push(query.after.at, query.after.at, query.after.id);
        const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`;
        return (yield* q.all(sql, ...params, query.limit)).map(rowToDelivery);
      }),

    listRejections: (limit, after) =>
      db.read(function* () {
        const at = after?.at ?? Number.MAX_SAFE_INTEGER;
        return (yield* q.all(SQL.rejections, at, at, after?.id ?? '', limit)).map(rowToRejection);
      }),

    claimDue: ({ owner, now, leaseMs, limit, holdDestinations }) =>
      db.write(function* (d): Steps<ClaimedDelivery[]> {
        const rows = yield* q.all(claimSql(d, holdDestinations.length), owner, now + leaseMs, now, now, now, ...holdDestinations, limit);
        if (rows.length === 0) return [];
        const deliveries = rows.map(rowToDelivery);
        const conversions = new Map<string, ConversionRecord>();
        // Padded to a power of two (a repeated id changes nothing in an IN list): a few prepared texts, not one per claim size.
        for (const ids of paddedChunks([...new Set(deliveries.map((x) => x.conversionId))], CLAIM_READ_CHUNK))
          for (const r of yield* q.all(SQL.conversionsByIds(ids.length), ...ids)) conversions.set(String(r.id), rowToConversion(r));
        return deliveries.map((delivery) => ({ delivery, conversion: conversions.get(delivery.conversionId) as ConversionRecord }));
      }),

    completeAttempts: (results, now, hook) => finishing.add(results, now, hook),

    release: (ids, owner) =>
      db.write(function* () {
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          yield* q.run(SQL.release(chunk.length), owner, ...chunk);
        }
      }),

    retryDelivery: (id, now, extraAttempts) =>
      db.write(function* (): Steps<DeliveryRow | null> {
        const changed = (yield* q.run(SQL.retryDelivery, now, extraAttempts, now, id, now)).changes;
        if (changed === 0) return null;
        return rowToDelivery((yield* q.get(SQL.getDelivery, id)) as Row);
      }),

    destinationStates: () =>
      db.read(function* () {
        return (yield* q.all(SQL.destinationStates)).map(rowToDestinationState);
      }),

    resumeDestination: (id) =>
      db.write(function* () {
        yield* q.run(SQL.resume, id);
        // Its corrections pause on their own ids (src/delivery/adjustments.ts); resuming it resumes them.
        for (const t of ADJUSTMENT_TYPES) yield* q.run(SQL.resume, adjustmentDestinationId(id, t));
        const r = yield* q.get(SQL.destinationState, id);
        return r ? rowToDestinationState(r) : null;
      }),

    countDeliveries: () =>
      db.read(function* () {
        const counts: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, dead: 0, cancelled: 0, skipped: 0 };
        let all = 0;
        for (const r of yield* q.all(SQL.countDeliveries)) {
          if (r.status === '*') all = Number(r.n);
          else counts[r.status as DeliveryStatus] = Number(r.n);
        }
        counts.succeeded = all - counts.pending - counts.dead - counts.cancelled - counts.skipped;
        return counts;
      }),

    addConversionWarnings: (id, warnings) =>
      db.write(function* (d) {
        // Read (row-locked on Postgres) and write in one job, so two repeats arriving together both keep theirs.
        const r = yield* q.get(`${SQL.conversionWarnings}${d.forUpdate}`, id);
        if (!r) return;
        const stored = rowToWarnings(r.warnings);
        const added = newWarnings(stored, warnings);
        if (added.length > 0) yield* q.run(SQL.setConversionWarnings, JSON.stringify([...stored, ...added]), id);
      }),

    searchConversions: (query) =>
      db.read(function* () {
        const count = outcomeCountSql(query);
        const few = count ? Number((yield* q.get(count.sql, ...count.params))?.n) <= FEW_OUTCOME_MATCHES : false;
        const { sql, params } = conversionSearchSql(query, few);
        return (yield* q.all(sql, ...params)).map((r) => ({ conversion: rowToConversion(r), warnings: rowToWarnings(r.warnings) }));
      }),

    conversionWarnings: (id) =>
      db.read(function* () {
        return rowToWarnings((yield* q.get(SQL.conversionWarnings, id))?.warnings);
      }),

    deliveriesOfConversions: (ids) =>
      db.read(function* () {
        if (ids.length === 0) return [];
        return (yield* q.all(SQL.deliveriesOfConversions(ids.length), ...ids)).map(rowToDelivery);
      }),

    listPostbacks: (query) =>
      db.read(function* () {
        const { sql, params } = postbackListSql(query);
        return (yield* q.all(sql, ...params)).map(rowToReceivedPostback);
      }),

    retryDeadDeliveries: (items, now) =>
      db.write(function* (): Steps<DeliveryRow[]> {
        const changed: DeliveryRow[] = [];
        for (const { id, extraAttempts } of items) {
          if ((yield* q.run(SQL.retryDead, now, extraAttempts, now, id)).changes > 0) changed.push(rowToDelivery((yield* q.get(SQL.getDelivery, id)) as Row));
        }
        return changed;
      }),

    windowStats: (from, to, bucketMs) => {
      const all = (sql: string, ...params: unknown[]) => db.read(() => q.all(sql, ...params));
      return windowStatsFrom(all, from, to, bucketMs);
    },

    matchQuality: (from, to) =>
      db.read(function* () {
        return (yield* q.all(SQL.statsMatchQuality, from, to)).map((r) => ({
          destinationId: String(r.destination_id),
          identifiers: r.identifiers_sent ? (JSON.parse(String(r.identifiers_sent)) as string[]) : null,
          n: Number(r.n),
        }));
      }),

    outboxStats: () =>
      db.read(function* () {
        const r = (yield* q.get(SQL.outbox)) as Row;
        return { depth: Number(r.depth), oldestPendingAt: r.oldest === null || r.oldest === undefined ? null : Number(r.oldest) };
      }),

    addStatCounts: (counts) =>
      db.write(function* () {
        // In (name, bucket) order: two processes flushing at once never wait on each other crosswise.
        const sorted = [...counts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.bucket - b.bucket));
        for (const c of sorted) yield* q.run(SQL.addStatCount, c.name, c.bucket, c.n);
      }),

    ping: () =>
      db.read(function* () {
        yield* q.get('SELECT 1 AS ok');
      }),

    close,
  };
}
