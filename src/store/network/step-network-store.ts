import type { DeliveryStatus } from '../ledger';
import { q, type StepRunner, type Steps } from '../sql-steps';
import { postbackDestinationId, type Offer, type Partner, type PartnerPostback, type PostbackFields } from '../../network/model';
import { networkWrites, type DispatchSettings } from './network-writes';
import type { NetworkStore, OfferDraft, ReportRow } from './network-store';
import { NSQL } from './network-sql';
import { offerToRow, rowToClick, rowToConversion, rowToOffer, rowToPartner, rowToPostback } from './network-rows';

/**
 * The network store on either engine: reads and write jobs are step generators
 * (src/store/sql-steps.ts) that the engine's runner drives — synchronously inside SQLite's group
 * commit, awaited inside Postgres's. One body of logic; the SQL is network-sql.ts's.
 */
export function createNetworkStore(db: StepRunner, settings: DispatchSettings): NetworkStore & { livePostbacksNow?: () => PartnerPostback[] } {
  const writes = networkWrites(settings);
  function* postback(id: number): Steps<PartnerPostback | null> {
    const r = yield* q.get(NSQL.getPostback, id);
    return r ? rowToPostback(r) : null;
  }

  function* withEventIds(draft: OfferDraft): Steps<Offer['events']> {
    const out: Offer['events'] = [];
    for (const e of draft.events) out.push({ ...e, id: e.id ?? (yield* writes.nextId('event')) });
    return out;
  }

  function postbackParams(f: PostbackFields): unknown[] {
    return [
      f.partnerId,
      f.offerId,
      f.level,
      f.type,
      f.deliveryMethod,
      f.status,
      f.postbackUrl,
      f.httpMethod,
      f.postBody,
      f.postContentType,
      f.htmlCode,
      f.description,
      f.delayMs,
      f.eventId,
    ];
  }

  function* live(): Steps<PartnerPostback[]> {
    return (yield* q.all(NSQL.livePostbacks)).map(rowToPostback);
  }

  const readNow = db.readNow?.bind(db);
  return {
    createOffer: (draft, now) =>
      db.write(function* () {
        const id = yield* writes.nextId('offer');
        const offer: Offer = { ...draft, id, events: yield* withEventIds(draft), createdAt: now, updatedAt: now };
        yield* q.run(NSQL.insertOffer, ...offerToRow(offer));
        return offer;
      }),
    replaceOffer: (id, draft, now) =>
      db.write(function* () {
        const r = yield* q.get(NSQL.getOffer, id);
        if (!r) return null;
        const offer: Offer = { ...draft, id, events: yield* withEventIds(draft), createdAt: rowToOffer(r).createdAt, updatedAt: now };
        const [, ...fields] = offerToRow(offer);
        yield* q.run(NSQL.updateOffer, ...fields.slice(0, 10), now, id);
        return offer;
      }),
    getOffer: (id) =>
      db.read(function* () {
        const r = yield* q.get(NSQL.getOffer, id);
        return r ? rowToOffer(r) : null;
      }),
    listOffers: () =>
      db.read(function* () {
        return (yield* q.all(NSQL.listOffers)).map(rowToOffer);
      }),

    createPartner: (draft, now) =>
      db.write(function* () {
        const partner: Partner = { ...draft, id: yield* writes.nextId('partner'), createdAt: now, updatedAt: now };
        yield* q.run(NSQL.insertPartner, partner.id, partner.name, partner.status, now, now);
        return partner;
      }),
    replacePartner: (id, draft, now) =>
      db.write(function* () {
        if ((yield* q.run(NSQL.updatePartner, draft.name, draft.status, now, id)).changes === 0) return null;
        return rowToPartner((yield* q.get(NSQL.getPartner, id)) as never);
      }),
    getPartner: (id) =>
      db.read(function* () {
        const r = yield* q.get(NSQL.getPartner, id);
        return r ? rowToPartner(r) : null;
      }),
    listPartners: () =>
      db.read(function* () {
        return (yield* q.all(NSQL.listPartners)).map(rowToPartner);
      }),

    createPostback: (fields, now) =>
      db.write(function* () {
        const id = yield* writes.nextId('postback');
        yield* q.run(NSQL.insertPostback, id, ...postbackParams(fields), now, now);
        return (yield* postback(id)) as PartnerPostback;
      }),
    replacePostback: (id, fields, now) =>
      db.write(function* (d) {
        const r = yield* q.get(NSQL.getPostback + d.forUpdate, id);
        const before = r ? rowToPostback(r) : null;
        if (!before || before.status === 'deleted') return null;
        yield* q.run(NSQL.replacePostback, ...postbackParams(fields), now, id);
        // Re-enabling through PUT is the same manual act as POST …/enable: a fresh streak.
        if (fields.status === 'active' && before.status !== 'active') yield* q.run(NSQL.setPostbackStatus, 'active', null, null, now, id);
        if (fields.status !== 'active' || fields.deliveryMethod !== 'postback') yield* q.run(NSQL.skipPending, now, postbackDestinationId(id), now);
        return yield* postback(id);
      }),
    deletePostback: (id, now) =>
      db.write(function* () {
        const before = yield* postback(id);
        if (!before || before.status === 'deleted') return null;
        yield* q.run(NSQL.setPostbackStatus, 'deleted', null, null, now, id);
        yield* q.run(NSQL.skipPending, now, postbackDestinationId(id), now);
        return yield* postback(id);
      }),
    enablePostback: (id, now, replaySkipped) =>
      db.write(function* () {
        const before = yield* postback(id);
        if (!before || before.status === 'deleted') return null;
        yield* q.run(NSQL.setPostbackStatus, 'active', null, null, now, id);
        const replayed = replaySkipped ? (yield* q.run(NSQL.replaySkipped, now, settings.maxAttempts, now, postbackDestinationId(id))).changes : 0;
        return { postback: (yield* postback(id)) as PartnerPostback, replayed };
      }),
    getPostback: (id) => db.read(() => postback(id)),
    livePostbacks: () => db.read(live),
    /** SQLite: synchronous, for the directory's first load (the engine must never see an empty cache). */
    ...(readNow ? { livePostbacksNow: () => readNow(live) } : {}),

    recordClick: (draft, now) => db.write(() => writes.recordClick(draft, now)),
    recordConversion: (req, now) => db.write((d) => writes.recordConversion(req, now, d)),
    setConversionStatus: (id, status, now) => db.write((d) => writes.setConversionStatus(id, status, now, d)),
    getConversion: (id) =>
      db.read(function* () {
        const r = yield* q.get(NSQL.getConversion, id);
        return r ? rowToConversion(r) : null;
      }),
    getClick: (tx) =>
      db.read(function* () {
        const r = yield* q.get(NSQL.getClick, tx);
        return r ? rowToClick(r) : null;
      }),
    deliveriesOf: (conversionId) =>
      db.read(function* () {
        return (yield* q.all(NSQL.deliveriesOf, conversionId)).map((r) => ({
          id: String(r.id),
          destinationId: String(r.destination_id),
          status: r.status as DeliveryStatus,
        }));
      }),
    outcomeSteps: (outcomes, now, rule, d) => writes.applyOutcomes(outcomes, now, rule, d),

    report: (rq) =>
      db.read(function* () {
        const where = ['f.created_at >= ?', 'f.created_at < ?'];
        const params: unknown[] = [rq.from, rq.to];
        if (rq.offerId !== undefined) where.push('f.offer_id = ?'), params.push(rq.offerId);
        if (rq.partnerId !== undefined) where.push('f.partner_id = ?'), params.push(rq.partnerId);
        if (rq.postbackId !== undefined) where.push('f.postback_id = ?'), params.push(rq.postbackId);
        if (rq.before !== undefined) where.push('f.created_at < ?'), params.push(rq.before);
        if (rq.statuses?.length) where.push(`d.status IN (${rq.statuses.map(() => '?').join(', ')})`), params.push(...rq.statuses);
        const text = `SELECT f.delivery_id, f.postback_id, f.conversion_id, f.transaction_id, f.offer_id, f.partner_id, f.kind, f.created_at,
            d.status, d.attempts, d.next_attempt_at
          FROM network_fires f JOIN deliveries d ON d.id = f.delivery_id
          WHERE ${where.join(' AND ')} ORDER BY f.created_at DESC, f.delivery_id LIMIT ?`;
        return (yield* q.all(text, ...params, rq.limit)).map(
          (r): ReportRow => ({
            deliveryId: String(r.delivery_id),
            postbackId: Number(r.postback_id),
            conversionId: String(r.conversion_id),
            transactionId: String(r.transaction_id),
            offerId: Number(r.offer_id),
            partnerId: Number(r.partner_id),
            kind: String(r.kind),
            createdAt: Number(r.created_at),
            status: r.status as DeliveryStatus,
            attempts: Number(r.attempts),
            nextAttemptAt: Number(r.next_attempt_at),
          }),
        );
      }),
  };
}
