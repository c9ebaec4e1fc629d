import type { GroupCommit } from '../store/group-commit';
import type { DeliveryStatus } from '../store/ledger';
import { sqlRunner, type SqliteDb } from '../store/sqlite';
import { postbackDestinationId, type Offer, type Partner, type PartnerPostback, type PostbackFields } from './model';
import { networkWrites, type DispatchSettings } from './network-writes';
import type { NetworkStore, OfferDraft, ReportRow } from './network-store';
import { NSQL } from './network-sql';
import { offerToRow, rowToClick, rowToConversion, rowToOffer, rowToPartner, rowToPostback } from './rows';

/** The network store on the embedded SQLite file: reads run directly, writes are group-commit jobs. */
export function createSqliteNetworkStore(db: SqliteDb, writer: GroupCommit, settings: DispatchSettings): NetworkStore & { livePostbacksNow(): PartnerPostback[] } {
  const sql = sqlRunner(db);
  const writes = networkWrites(sql, settings);
  const postback = (id: number): PartnerPostback | null => {
    const r = sql.get(NSQL.getPostback, id);
    return r ? rowToPostback(r) : null;
  };

  function withEventIds(draft: OfferDraft): Offer['events'] {
    return draft.events.map((e) => ({ ...e, id: e.id ?? writes.nextId('event') }));
  }

  function postbackParams(f: PostbackFields): unknown[] {
    return [f.partnerId, f.offerId, f.level, f.type, f.deliveryMethod, f.status, f.postbackUrl, f.httpMethod, f.postBody, f.postContentType,
      f.htmlCode, f.description, f.delayMs, f.eventId];
  }

  return {
    createOffer: (draft, now) =>
      writer.run(() => {
        const offer: Offer = { ...draft, id: writes.nextId('offer'), events: withEventIds(draft), createdAt: now, updatedAt: now };
        sql.run(NSQL.insertOffer, ...offerToRow(offer));
        return offer;
      }),
    replaceOffer: (id, draft, now) =>
      writer.run(() => {
        const r = sql.get(NSQL.getOffer, id);
        if (!r) return null;
        const offer: Offer = { ...draft, id, events: withEventIds(draft), createdAt: rowToOffer(r).createdAt, updatedAt: now };
        const [, ...fields] = offerToRow(offer);
        sql.run(NSQL.updateOffer, ...fields.slice(0, 10), now, id);
        return offer;
      }),
    getOffer: async (id) => {
      const r = sql.get(NSQL.getOffer, id);
      return r ? rowToOffer(r) : null;
    },
    listOffers: async () => sql.all(NSQL.listOffers).map(rowToOffer),

    createPartner: (draft, now) =>
      writer.run(() => {
        const partner: Partner = { ...draft, id: writes.nextId('partner'), createdAt: now, updatedAt: now };
        sql.run(NSQL.insertPartner, partner.id, partner.name, partner.status, now, now);
        return partner;
      }),
    replacePartner: (id, draft, now) =>
      writer.run(() => {
        if (sql.run(NSQL.updatePartner, draft.name, draft.status, now, id).changes === 0) return null;
        return rowToPartner(sql.get(NSQL.getPartner, id) as never);
      }),
    getPartner: async (id) => {
      const r = sql.get(NSQL.getPartner, id);
      return r ? rowToPartner(r) : null;
    },
    listPartners: async () => sql.all(NSQL.listPartners).map(rowToPartner),

    createPostback: (fields, now) =>
      writer.run(() => {
        const id = writes.nextId('postback');
        sql.run(NSQL.insertPostback, id, ...postbackParams(fields), now, now);
        return postback(id) as PartnerPostback;
      }),
    replacePostback: (id, fields, now) =>
      writer.run(() => {
        const before = postback(id);
        if (!before || before.status === 'deleted') return null;
        sql.run(NSQL.replacePostback, ...postbackParams(fields), now, id);
        // Re-enabling through PUT is the same manual act as POST …/enable: a fresh streak.
        if (fields.status === 'active' && before.status !== 'active') sql.run(NSQL.setPostbackStatus, 'active', null, null, now, id);
        if (fields.status !== 'active' || fields.deliveryMethod !== 'postback') sql.run(NSQL.skipPending, now, postbackDestinationId(id), now);
        return postback(id);
      }),
    deletePostback: (id, now) =>
      writer.run(() => {
        const before = postback(id);
        if (!before || before.status === 'deleted') return null;
        sql.run(NSQL.setPostbackStatus, 'deleted', null, null, now, id);
        sql.run(NSQL.skipPending, now, postbackDestinationId(id), now);
        return postback(id);
      }),
    enablePostback: (id, now, replaySkipped) =>
      writer.run(() => {
        const before = postback(id);
        if (!before || before.status === 'deleted') return null;
        sql.run(NSQL.setPostbackStatus, 'active', null, null, now, id);
        const replayed = replaySkipped ? sql.run(NSQL.replaySkipped, now, settings.maxAttempts, now, postbackDestinationId(id)).changes : 0;
        return { postback: postback(id) as PartnerPostback, replayed };
      }),
    getPostback: async (id) => postback(id),
    livePostbacks: async () => sql.all(NSQL.livePostbacks).map(rowToPostback),
    /** Synchronous, for the directory's first load: the engine must never see an empty cache. */
    livePostbacksNow: () => sql.all(NSQL.livePostbacks).map(rowToPostback),

    recordClick: (draft, now) => writer.run(() => writes.recordClick(draft, now)),
    recordConversion: (req, now) => writer.run(() => writes.recordConversion(req, now)),
    setConversionStatus: (id, status, now) => writer.run(() => writes.setConversionStatus(id, status, now)),
    getConversion: async (id) => {
      const r = sql.get(NSQL.getConversion, id);
      return r ? rowToConversion(r) : null;
    },
    getClick: async (tx) => {
      const r = sql.get(NSQL.getClick, tx);
      return r ? rowToClick(r) : null;
    },
    deliveriesOf: async (conversionId) =>
      sql.all(NSQL.deliveriesOf, conversionId).map((r) => ({ id: String(r.id), destinationId: String(r.destination_id), status: r.status as DeliveryStatus })),
    applyOutcomes: (outcomes, now, rule) => writer.run(() => writes.applyOutcomes(outcomes, now, rule)),

    report: async (q) => {
      const where = ['f.created_at >= ?', 'f.created_at < ?'];
      const params: unknown[] = [q.from, q.to];
      if (q.offerId !== undefined) (where.push('f.offer_id = ?'), params.push(q.offerId));
      if (q.partnerId !== undefined) (where.push('f.partner_id = ?'), params.push(q.partnerId));
      if (q.postbackId !== undefined) (where.push('f.postback_id = ?'), params.push(q.postbackId));
      if (q.before !== undefined) (where.push('f.created_at < ?'), params.push(q.before));
      if (q.statuses?.length) (where.push(`d.status IN (${q.statuses.map(() => '?').join(', ')})`), params.push(...q.statuses));
      const text = `SELECT f.delivery_id, f.postback_id, f.conversion_id, f.transaction_id, f.offer_id, f.partner_id, f.kind, f.created_at,
          d.status, d.attempts, d.next_attempt_at
        FROM network_fires f JOIN deliveries d ON d.id = f.delivery_id
        WHERE ${where.join(' AND ')} ORDER BY f.created_at DESC, f.delivery_id LIMIT ?`;
      return sql.all(text, ...params, q.limit).map((r): ReportRow => ({
        deliveryId: String(r.delivery_id), postbackId: Number(r.postback_id), conversionId: String(r.conversion_id),
        transactionId: String(r.transaction_id), offerId: Number(r.offer_id), partnerId: Number(r.partner_id), kind: String(r.kind),
        createdAt: Number(r.created_at), status: r.status as DeliveryStatus, attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at),
      }));
    },
  };
}
