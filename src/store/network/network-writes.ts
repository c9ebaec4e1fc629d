import { createHash } from 'node:crypto';
import { ApiError } from '../../api-error';
import type { ConversionRecord } from '../../conversions/conversion';
import { newId } from '../../ids';
import { conversionToRow as outboxToRow } from '../ledger-rows';
import { SQL } from '../ledger-sql';
import type { Dialect } from '../dialect';
import { q, type Steps } from '../sql-steps';
import type { NetworkWebhookEvent } from '../../network/config-schema';
import { buildConversion, cpcRecord, noticeRecord, outboxRecord, outboxStatus, type ConversionRequest } from '../../network/conversions';
import { deactivationReason, nextStreak, type StreakRule } from '../../network/health';
import { fireDecision, postbackMatches, type FireEvent } from '../../network/match';
import {
  postbackDestinationId,
  type NetworkClick,
  type NetworkConversion,
  type NetworkConversionStatus,
  type Offer,
  type PartnerPostback,
} from '../../network/model';
import type { ClickDraft, ClickResult, ConversionResult, FiredDelivery, PostbackOutcome } from './network-store';
import { NSQL } from './network-sql';
import { conversionToRow, rowToClick, rowToConversion, rowToOffer, rowToPartner, rowToPostback } from './network-rows';

export interface DispatchSettings {
  /**
   * Partner postbacks: 1 + retries (a network's postback guide,
   * https://www.ourdreamaiaffiliate.com/onboarding/postbacks: 5 retries make one failure).
   */
  maxAttempts: number;
  webhookMaxAttempts: number;
  webhooks: ReadonlyArray<{ destinationId: string; connector: string; event: NetworkWebhookEvent }>;
  clickSessionMs: number;
}

export const PARTNER_CONNECTOR = 'partner-postback';

/** Stable per (outbox record, destination): identical on every retry and replay. */
export function networkDedupKey(recordId: string, destinationId: string): string {
  return createHash('sha256').update(`${recordId}\u0000${destinationId}`).digest('hex').slice(0, 32);
}

/**
 * The bodies of the network's write jobs, as step generators (src/store/sql-steps.ts): the same
 * code runs synchronously inside a SQLite group commit and awaited inside a Postgres one. Each
 * runs inside one group-commit job, so its reads see the transaction its writes commit in.
 * A row read to be written from what was read (a postback's failure streak, a click before its
 * conversion) is read with `d.forUpdate`: on Postgres a row lock, so two processes recording
 * failures of one postback at once count both, in turn.
 */
export function networkWrites(settings: DispatchSettings) {
  function* offer(id: number): Steps<Offer | null> {
    const r = yield* q.get(NSQL.getOffer, id);
    return r ? rowToOffer(r) : null;
  }

  function* enqueue(
    recordId: string,
    destinationId: string,
    connector: string,
    status: 'pending' | 'skipped',
    maxAttempts: number,
    at: number,
    now: number,
  ): Steps<string | null> {
    const r = yield* q.get(
      NSQL.insertDelivery,
      newId(),
      recordId,
      destinationId,
      connector,
      networkDedupKey(recordId, destinationId),
      status,
      maxAttempts,
      at,
      now,
      now,
    );
    return r ? String(r.id) : null;
  }

  /**
   * Every matching postback fires
   * (https://helpdesk.everflow.io/en/articles/3974779-testing-partner-postbacks); the delay is durable
   * because it is the
   * row's next_attempt_at. `ensureRecord` inserts the outbox record once, only if needed.
   */
  function* firePostbacks(record: ConversionRecord, ensureRecord: () => Steps<void>, ev: FireEvent, now: number): Steps<FiredDelivery[]> {
    const out: FiredDelivery[] = [];
    for (const p of (yield* q.all(NSQL.candidatePostbacks, ev.kind, ev.partnerId, ev.offerId)).map(rowToPostback)) {
      if (!postbackMatches(p, ev)) continue;
      const decision = fireDecision(p);
      if (decision === 'none') continue;
      yield* ensureRecord();
      const destinationId = postbackDestinationId(p.id);
      const status = decision === 'send' ? 'pending' : 'skipped';
      const id = yield* enqueue(record.id, destinationId, PARTNER_CONNECTOR, status, settings.maxAttempts, now + (status === 'pending' ? p.delayMs : 0), now);
      if (!id) continue; // already made for this conversion (a second approval)
      yield* q.run(NSQL.insertFire, id, p.id, record.id, record.transactionId, ev.offerId, ev.partnerId, ev.kind, now);
      out.push({ id, destinationId, status });
    }
    return out;
  }

  function* fireWebhooks(recordId: string, event: NetworkWebhookEvent, now: number): Steps<FiredDelivery[]> {
    const out: FiredDelivery[] = [];
    for (const w of settings.webhooks) {
      if (w.event !== event) continue;
      const id = yield* enqueue(recordId, w.destinationId, w.connector, 'pending', settings.webhookMaxAttempts, now, now);
      if (id) out.push({ id, destinationId: w.destinationId, status: 'pending' });
    }
    return out;
  }

  /**
   * The offer's and the event's "Fire Partner Postback" toggles gate partner postbacks
   * (https://help.everflow.io/support/solutions/articles/22000233448-fire-affiliate-postback-toggle).
   */
  function* fireConversion(c: NetworkConversion, now: number): Steps<FiredDelivery[]> {
    const o = yield* offer(c.offerId);
    const event = o?.events.find((e) => e.id === c.eventId) ?? null;
    if (!o || !o.firePostbacks || (c.kind === 'event' && event && !event.firePostbacks)) return [];
    const ev: FireEvent = { kind: c.kind, offerId: c.offerId, partnerId: c.partnerId, eventId: c.eventId };
    return yield* firePostbacks(outboxRecord(c), function* () {}, ev, now);
  }

  return {
    *nextId(name: 'offer' | 'partner' | 'postback' | 'event'): Steps<number> {
      return Number(((yield* q.get(NSQL.nextId, name)) as { value: unknown }).value);
    },

    *recordClick(draft: ClickDraft, now: number): Steps<ClickResult> {
      const o = yield* offer(draft.offerId);
      const partnerRow = yield* q.get(NSQL.getPartner, draft.partnerId);
      if (!o) throw new ApiError(404, 'UNKNOWN_OFFER', `no offer ${draft.offerId}`);
      if (!partnerRow) throw new ApiError(404, 'UNKNOWN_PARTNER', `no partner ${draft.partnerId}`);
      if (o.status !== 'active') throw new ApiError(422, 'OFFER_INACTIVE', `offer ${o.id} is inactive and takes no clicks`);
      if (rowToPartner(partnerRow).status !== 'active')
        throw new ApiError(422, 'PARTNER_INACTIVE', `partner ${draft.partnerId} is inactive and takes no clicks`);
      const unique = !draft.ipHash || !(yield* q.get(NSQL.recentClick, draft.offerId, draft.partnerId, draft.ipHash, now - settings.clickSessionMs));
      const click: NetworkClick = {
        transactionId: newId(),
        offerId: draft.offerId,
        partnerId: draft.partnerId,
        sourceId: draft.sourceId,
        subs: draft.subs,
        isUnique: unique,
        createdAt: now,
      };
      yield* q.run(
        NSQL.insertClick,
        click.transactionId,
        click.offerId,
        click.partnerId,
        click.sourceId,
        JSON.stringify(click.subs),
        draft.ipHash,
        unique ? 1 : 0,
        now,
      );
      // cpc postbacks fire on every unique *payable* click of a CPC offer
      // (https://developers.everflow.io/api-reference/post-networkspixels.md).
      const payable = unique && o.payoutType === 'cpc';
      if (!payable || !o.firePostbacks) return { click, payable, deliveries: [] };
      const record = cpcRecord(newId(), click, o, now);
      let inserted = false;
      const ensure = function* (): Steps<void> {
        if (!inserted) yield* q.run(SQL.insertConversion, ...outboxToRow(record));
        inserted = true;
      };
      const deliveries = yield* firePostbacks(record, ensure, { kind: 'cpc', offerId: o.id, partnerId: click.partnerId, eventId: 0 }, now);
      return { click, payable, deliveries };
    },

    *recordConversion(req: ConversionRequest, now: number, d: Dialect): Steps<ConversionResult> {
      // Locked: two processes converting one transaction at once take turns, so the duplicate
      // check below sees the other's conversion.
      const clickRow = yield* q.get(NSQL.getClick + d.forUpdate, req.transactionId);
      if (!clickRow)
        throw new ApiError(404, 'UNKNOWN_TRANSACTION', `transaction_id ${req.transactionId} matches no click (Everflow error 12, invalid transaction id)`);
      const click = rowToClick(clickRow);
      const o = yield* offer(click.offerId);
      if (!o) throw new ApiError(404, 'UNKNOWN_OFFER', `the click's offer ${click.offerId} no longer exists`);
      const event = req.eventId === 0 ? null : (o.events.find((e) => e.id === req.eventId) ?? null);
      if (req.eventId !== 0 && !event)
        throw new ApiError(422, 'UNKNOWN_EVENT', `offer ${o.id} has no event ${req.eventId}`, [{ field: 'event_id', message: 'not an event of the offer' }]);
      // A second conversion (or the same event) on one transaction is a duplicate (error 8,
      // https://helpdesk.everflow.io/customer/conversions-error-code-reference-guide) unless the offer allows
      // it.
      if (!o.allowDuplicates && (yield* q.get(NSQL.priorConversion, req.transactionId, req.eventId))) {
        throw new ApiError(
          409,
          'DUPLICATE_CONVERSION',
          `transaction ${req.transactionId} already has this ${event ? `event ${event.id}` : 'conversion'} (Everflow error 8); the offer does not allow duplicates`,
          [{ field: 'transaction_id', message: 'duplicate conversion (Everflow error 8)' }],
        );
      }
      const c = buildConversion(newId(), click, o, event, req, now);
      yield* q.run(NSQL.insertConversion, ...conversionToRow(c));
      yield* q.run(SQL.insertConversion, ...outboxToRow(outboxRecord(c)));
      // Only approved conversions fire; a pending one fires when approved (our reading of
      // https://developers.everflow.io/docs/network/conversion_updates/).
      const deliveries = c.status === 'approved' ? yield* fireConversion(c, now) : [];
      deliveries.push(...(yield* fireWebhooks(c.id, c.kind === 'event' ? 'event.registered' : 'conversion.registered', now)));
      return { conversion: c, deliveries };
    },

    *setConversionStatus(id: string, status: NetworkConversionStatus, now: number, d: Dialect): Steps<ConversionResult | null> {
      const r = yield* q.get(NSQL.getConversion + d.forUpdate, id);
      if (!r) return null;
      const before = rowToConversion(r);
      if (before.status === status) return { conversion: before, deliveries: [] };
      const c: NetworkConversion = { ...before, status, updatedAt: now };
      yield* q.run(NSQL.setConversionStatus, status, now, id);
      yield* q.run(SQL.updateConversionStatus, outboxStatus(status), now, id);
      if (status === 'approved') return { conversion: c, deliveries: yield* fireConversion(c, now) };
      // Rejected after approval: what has not gone out yet (a delay) is not sent any more.
      yield* q.run(NSQL.cancelPendingOf, now, id, now);
      return { conversion: c, deliveries: [] };
    },

    /**
     * The failure rule over the outcomes of one recording job (which also holds their attempt
     * rows: one commit, src/store/attempt-records.ts). Each postback is read once and written at
     * most once however many of its outcomes the job holds; its outcomes apply in their order.
     */
    *applyOutcomes(
      outcomes: readonly PostbackOutcome[],
      now: number,
      rule: StreakRule,
      d: Dialect,
    ): Steps<{ deactivated: PartnerPostback[]; clean: number[] }> {
      const deactivated: PartnerPostback[] = [];
      const clean: number[] = [];
      const byPostback = new Map<number, PostbackOutcome[]>();
      for (const o of outcomes) byPostback.set(o.postbackId, [...(byPostback.get(o.postbackId) ?? []), o]);
      // Postbacks locked in one order (by id), so two processes never wait on each other crosswise.
      for (const id of [...byPostback.keys()].sort((a, b) => a - b)) {
        const list = byPostback.get(id) as PostbackOutcome[];
        // FOR UPDATE on Postgres: the streak read here is the one the update below extends, even
        // when another process records a failure of the same postback at the same moment.
        const r = yield* q.get(NSQL.getPostback + d.forUpdate, id);
        if (!r) continue;
        const p = rowToPostback(r);
        // Only an active server postback counts: HTML pixels never
        // (https://helpdesk.everflow.io/collaborator/managing-postbacks-as-a-partner), and an outcome
        // that lands after the postback was switched off changes nothing, except that a retry
        // scheduled by an attempt in flight at that moment is parked as skipped like the rest.
        if (p.deliveryMethod !== 'postback' || p.status !== 'active') {
          if (list.some((o) => o.outcome === 'retry')) yield* q.run(NSQL.skipPending, now, postbackDestinationId(p.id), now);
          continue;
        }
        let streak = p.failureStreak;
        let failed = false;
        let succeeded = false;
        let lastError: string | null = null;
        let deactivate = false;
        for (const o of list) {
          if (o.outcome === 'retry') continue;
          // A success on a clean streak changes nothing but last_success_at: refresh it at most once a
          // second, so a busy healthy postback does not cost a write per delivery.
          if (o.outcome === 'success' && streak.length === 0 && p.lastSuccessAt !== null && now - p.lastSuccessAt < 1000) continue;
          const step = nextStreak(streak, o.outcome, now, rule);
          streak = step.streak;
          if (o.outcome === 'failure') {
            failed = true;
            lastError = o.error;
          } else succeeded = true;
          // Deactivated at exactly the Nth: what follows in this job lands on a postback that is off.
          if (step.deactivate) {
            deactivate = true;
            break;
          }
        }
        if (!deactivate) {
          if (failed || succeeded) yield* q.run(NSQL.setStreak, JSON.stringify(streak), failed ? now : null, succeeded ? now : null, p.id);
          if (streak.length === 0) clean.push(p.id);
          continue;
        }
        const reason = deactivationReason(streak, rule, lastError);
        yield* q.run(NSQL.setPostbackStatus, 'deactivated', reason, now, now, p.id);
        yield* q.run(NSQL.setStreak, '[]', now, null, p.id);
        yield* q.run(NSQL.skipPending, now, postbackDestinationId(p.id), now);
        deactivated.push({ ...p, status: 'deactivated', deactivatedReason: reason, deactivatedAt: now, failureStreak: [], lastFailureAt: now, updatedAt: now });
        if (settings.webhooks.some((w) => w.event === 'postback.deactivated')) {
          const params: Record<string, string> = {
            postback_id: String(p.id),
            partner_id: String(p.partnerId),
            offer_id: String(p.offerId),
            level: p.level,
            type: p.type,
            reason,
            deactivated_at: String(now),
          };
          const notice = noticeRecord(newId(), postbackDestinationId(p.id), 'postback.deactivated', params, now);
          yield* q.run(SQL.insertConversion, ...outboxToRow(notice));
          yield* fireWebhooks(notice.id, 'postback.deactivated', now);
        }
      }
      return { deactivated, clean };
    },
  };
}
export type NetworkWrites = ReturnType<typeof networkWrites>;
