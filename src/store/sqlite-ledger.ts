import type { ConversionRecord } from '../conversions/conversion';
import { newWarnings } from '../conversions/warnings';
import { newId } from '../ids';
import type { GroupCommit } from './group-commit';
import type { ClaimedDelivery, DeliveryQuery, DeliveryRow, DeliveryStatus, Ledger, PostbackResult } from './ledger';
import {
  conversionToRow, rowToAttempt, rowToConversion, rowToDelivery, rowToDestinationState, rowToReceivedPostback, rowToRejection,
  rowToWarnings, type Row,
} from './ledger-rows';
import { FEW_OUTCOME_MATCHES, SQL, conversionSearchSql, outcomeCountSql, postbackListSql } from './ledger-sql';
import { windowStatsFrom } from './window-stats';
import { sqlRunner, type SqliteDb } from './sqlite';

/** The Ledger on the embedded SQLite file. Reads run directly; every write goes through group commit. */
export function createSqliteLedger(db: SqliteDb, writer: GroupCommit): Ledger {
  const { all, get, run } = sqlRunner(db);

  /** Destinations this process last saw succeed (no failure since), and when it wrote that. */
  const healthyAt = new Map<string, number>();

  const deliverySummary = (conversionId: string) =>
    all(SQL.deliveriesOf, conversionId).map((r) => ({
      id: String(r.id), destinationId: String(r.destination_id), status: r.status as DeliveryStatus,
    }));

  function insertDeliveries(conversion: ConversionRecord, route: (c: ConversionRecord) => ReturnType<Parameters<Ledger['recordPostback']>[0]['route']>, now: number) {
    const inserted: Array<{ id: string; destinationId: string; status: DeliveryStatus }> = [];
    for (const t of route(conversion)) {
      const id = newId();
      if (run(SQL.insertDelivery, id, conversion.id, t.destinationId, t.connector, t.dedupKey, t.maxAttempts, now, now, now).changes > 0) {
        inserted.push({ id, destinationId: t.destinationId, status: 'pending' });
      }
    }
    return inserted;
  }

  return {
    recordPostback: (write, now) =>
      writer.run((): PostbackResult => {
        const c = write.conversion;
        const existingRow = get(SQL.findConversion, c.source, c.transactionId, c.event);
        if (!existingRow) {
          run(SQL.insertConversion, ...conversionToRow(c));
          // A new conversion has exactly the deliveries just inserted: no need to read them back.
          const deliveries = insertDeliveries(c, write.route, now).sort((a, b) => (a.destinationId < b.destinationId ? -1 : 1));
          return { conversion: c, duplicate: false, updated: false, deliveries };
        }
        const existing = rowToConversion(existingRow);
        // Same status, or a late `pending` after the network already decided: nothing changes.
        if (existing.status === c.status || c.status === 'pending') {
          return { conversion: existing, duplicate: true, updated: false, deliveries: deliverySummary(existing.id) };
        }
        // A status change (pending → approved, approved → rejected…): update, then route again.
        // Deliveries already made are never made twice (UNIQUE (conversion_id, destination_id)).
        const changed: ConversionRecord = { ...existing, status: c.status, updatedAt: now };
        run(SQL.updateConversionStatus, changed.status, now, changed.id);
        const targets = write.route(changed);
        if (targets.length > 0) {
          insertDeliveries(changed, () => targets, now);
          for (const t of targets) run(SQL.reviveCancelledDelivery, now, now, changed.id, t.destinationId);
        }
        else run(SQL.cancelPendingDeliveries, now, changed.id, now);
        return { conversion: changed, duplicate: false, updated: true, deliveries: deliverySummary(changed.id) };
      }),

    recordRejection: (r) =>
      writer.run(() => {
        run(SQL.insertRejection, r.id, r.source, r.receivedAt, r.httpStatus, r.code, r.message, JSON.stringify(r.params));
      }),

    addConversionWarnings: (id, warnings) =>
      writer.run(() => {
        // Read and write in the one writer, so two repeats arriving together both keep theirs.
        const r = get(SQL.conversionWarnings, id);
        if (!r) return;
        const stored: string[] = r.warnings ? JSON.parse(String(r.warnings)) : [];
        const added = newWarnings(stored, warnings);
        if (added.length > 0) run(SQL.setConversionWarnings, JSON.stringify([...stored, ...added]), id);
      }),

    getConversion: async (id) => {
      const r = get(SQL.getConversion, id);
      return r ? rowToConversion(r) : null;
    },

    getDelivery: async (id) => {
      const r = get(SQL.getDelivery, id);
      return r ? rowToDelivery(r) : null;
    },

    listDeliveriesOf: async (conversionId) => all(SQL.deliveriesOf, conversionId).map(rowToDelivery),

    listAttempts: async (ids) => {
      if (ids.length === 0) return [];
      return (db.prepare(SQL.attemptsOf(ids.length)).all(...ids) as Row[]).map(rowToAttempt);
    },

    listDeliveries: async (q: DeliveryQuery) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.status) (where.push('status = ?'), params.push(q.status));
      if (q.destinationId) (where.push('destination_id = ?'), params.push(q.destinationId));
      if (q.updatedSince !== undefined) (where.push('updated_at >= ?'), params.push(q.updatedSince));
      if (q.ids) (where.push(q.ids.length ? `id IN (${q.ids.map(() => '?').join(', ')})` : '1 = 0'), params.push(...q.ids));
      if (q.after) (where.push('(created_at < ? OR (created_at = ? AND id > ?))'), params.push(q.after.at, q.after.at, q.after.id));
      const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`;
      return all(sql, ...params, q.limit).map(rowToDelivery);
    },

    listRejections: async (limit, after) =>
      all(SQL.rejections, after?.at ?? Number.MAX_SAFE_INTEGER, after?.at ?? Number.MAX_SAFE_INTEGER, after?.id ?? '', limit).map(rowToRejection),

    claimDue: ({ owner, now, leaseMs, limit, holdDestinations }) =>
      writer.run((): ClaimedDelivery[] => {
        const rows = all(SQL.claimDue(holdDestinations.length), owner, now + leaseMs, now, now, now, ...holdDestinations, limit);
        if (rows.length === 0) return [];
        const deliveries = rows.map(rowToDelivery);
        // One query for the claimed rows' conversions, not one per row.
        const ids = [...new Set(deliveries.map((d) => d.conversionId))];
        const conversions = new Map(all(SQL.conversionsByIds(ids.length), ...ids).map((r) => [String(r.id), rowToConversion(r)]));
        return deliveries.map((delivery) => ({ delivery, conversion: conversions.get(delivery.conversionId) as ConversionRecord }));
      }),

    completeAttempts: (results, now) =>
      writer.run(() => {
        const stored = new Set<string>();
        for (const r of results) {
          const a = r.attempt;
          if (a.exchangeId && !stored.has(a.exchangeId)) {
            stored.add(a.exchangeId);
            run(SQL.insertExchange, a.exchangeId, a.request ? JSON.stringify(a.request) : null, a.responseStatus, a.responseBody,
              a.responseHeaders ? JSON.stringify(a.responseHeaders) : null);
          }
          run(SQL.insertAttempt, newId(), r.deliveryId, a.attempt, a.startedAt, a.durationMs, a.exchangeId,
            a.outcome, a.errorKind, a.errorMessage, a.platformCode, a.note, a.nextStep, a.nextAttemptAt);
          run(SQL.finishDelivery, r.status, r.nextAttemptAt, a.errorMessage, a.errorKind, now, r.deliveryId, r.leaseOwner);
          if (r.health === 'success') {
            // A healthy destination's success changes nothing but last_success_at: write it at most
            // once a second instead of on every delivery (it is the hot path of a busy destination).
            const last = healthyAt.get(r.destinationId);
            if (last === undefined || now - last >= 1000) {
              run(SQL.healthSuccess, r.destinationId, now);
              healthyAt.set(r.destinationId, now);
            }
          } else if (r.health === 'failure') {
            healthyAt.delete(r.destinationId);
            run(SQL.healthFailure, r.destinationId, now, now);
          }
          if (r.pause) {
            healthyAt.delete(r.destinationId);
            run(SQL.pause, r.destinationId, r.pause.reason, now);
          }
        }
      }),

    release: (ids, owner) =>
      writer.run(() => {
        for (const id of ids) run(SQL.release, id, owner);
      }),

    retryDelivery: (id, now, extraAttempts) =>
      writer.run((): DeliveryRow | null => {
        const changed = run(SQL.retryDelivery, now, extraAttempts, now, id, now).changes;
        if (changed === 0) return null;
        return rowToDelivery(get(SQL.getDelivery, id) as Row);
      }),

    destinationStates: async () => all(SQL.destinationStates).map(rowToDestinationState),

    resumeDestination: (id, _now) =>
      writer.run(() => {
        run(SQL.resume, id);
        const r = get(SQL.destinationState, id);
        return r ? rowToDestinationState(r) : null;
      }),

    countDeliveries: async () => {
      const counts: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, dead: 0, cancelled: 0, skipped: 0 };
      for (const r of all(SQL.countDeliveries)) counts[r.status as DeliveryStatus] = Number(r.n);
      return counts;
    },

    searchConversions: async (q) => {
      const count = outcomeCountSql(q);
      const few = count ? Number(get(count.sql, ...count.params)?.n) <= FEW_OUTCOME_MATCHES : false;
      const { sql, params } = conversionSearchSql(q, few);
      return all(sql, ...params).map((r) => ({ conversion: rowToConversion(r), warnings: rowToWarnings(r.warnings) }));
    },

    conversionWarnings: async (id) => rowToWarnings(get(SQL.conversionWarnings, id)?.warnings),

    deliveriesOfConversions: async (ids) => {
      if (ids.length === 0) return [];
      return all(SQL.deliveriesOfConversions(ids.length), ...ids).map(rowToDelivery);
    },

    listPostbacks: async (q) => {
      const { sql, params } = postbackListSql(q);
      return all(sql, ...params).map(rowToReceivedPostback);
    },

    retryDeadDeliveries: (items, now) =>
      writer.run((): DeliveryRow[] => {
        const changed: DeliveryRow[] = [];
        for (const { id, extraAttempts } of items) {
          if (run(SQL.retryDead, now, extraAttempts, now, id).changes > 0) changed.push(rowToDelivery(get(SQL.getDelivery, id) as Row));
        }
        return changed;
      }),

    windowStats: async (from, to, bucketMs) => windowStatsFrom((sql, ...params) => all(sql, ...params), from, to, bucketMs),

    outboxStats: async () => {
      const r = get(SQL.outbox) as Row;
      return { depth: Number(r.depth), oldestPendingAt: r.oldest === null || r.oldest === undefined ? null : Number(r.oldest) };
    },

    addStatCounts: (counts) =>
      writer.run(() => {
        for (const c of counts) run(SQL.addStatCount, c.name, c.bucket, c.n);
      }),

    ping: async () => {
      get('SELECT 1 AS ok');
    },

    close: async () => {
      await writer.drain();
      db.close();
    },
  };
}
