import { ApiError } from '../api-error';
import type { NetworkDirectory } from './directory';
import { postbackRuleFailures, toPostbackFields, type OfferInput, type PartnerInput, type PostbackInput } from './inputs';
import type { Offer, PartnerPostback, PostbackFields } from './model';
import type { NetworkStore, OfferDraft } from '../store/network/network-store';
import type { OutboundGuard } from '../connector-kit/outbound-guard';

export interface EntityDeps {
  store: NetworkStore;
  directory: NetworkDirectory;
  guard: OutboundGuard;
  now: () => number;
  /** Wake the engine (replayed deliveries). */
  notify: () => void;
}

function offerDraft(input: OfferInput): OfferDraft {
  const ids = input.events.map((e) => e.id).filter((id): id is number => id !== undefined);
  if (new Set(ids).size !== ids.length)
    throw new ApiError(400, 'INVALID_OFFER', 'event ids must be unique within the offer', [{ field: 'events', message: 'duplicate event id' }]);
  return {
    name: input.name,
    status: input.status,
    currency: input.currency,
    payoutType: input.payout_type,
    payoutAmount: input.payout_amount,
    revenueType: input.revenue_type,
    revenueAmount: input.revenue_amount,
    allowDuplicates: input.allow_duplicates,
    firePostbacks: input.fire_postbacks,
    events: input.events.map((e) => ({
      id: e.id,
      name: e.name,
      payoutAmount: e.payout_amount ?? null,
      revenueAmount: e.revenue_amount ?? null,
      firePostbacks: e.fire_postbacks,
    })),
  };
}

/**
 * Offers, partners and partner postbacks: validation
 * (https://developers.everflow.io/api-reference/post-networkspixels.md) and the directory cache.
 */
export function networkEntities(deps: EntityDeps) {
  const { store, directory, now } = deps;

  /**
   * Rules zod cannot see: the level/ids/type table, the partner and offer exist, the event is
   * one of the offer's, and the URL does not aim at our own network (checked again at send time).
   */
  async function validatePostback(input: PostbackInput): Promise<PostbackFields> {
    const failures = postbackRuleFailures(input);
    if (failures.length > 0) {
      throw new ApiError(400, 'INVALID_POSTBACK', `invalid postback: ${failures.map((f) => `${f.rule} (${f.message})`).join('; ')}`, failures);
    }
    if (input.partner_id !== 0 && !(await store.getPartner(input.partner_id))) {
      throw new ApiError(422, 'UNKNOWN_PARTNER', `no partner ${input.partner_id}`, [
        { field: 'partner_id', rule: 'partner.exists', message: 'no such partner' },
      ]);
    }
    let offer: Offer | null = null;
    if (input.offer_id !== 0) {
      offer = await store.getOffer(input.offer_id);
      if (!offer)
        throw new ApiError(422, 'UNKNOWN_OFFER', `no offer ${input.offer_id}`, [{ field: 'offer_id', rule: 'offer.exists', message: 'no such offer' }]);
    }
    if (input.event_id !== 0 && offer && !offer.events.some((e) => e.id === input.event_id)) {
      throw new ApiError(422, 'UNKNOWN_EVENT', `offer ${input.offer_id} has no event ${input.event_id}`, [
        { field: 'event_id', rule: 'event_id.of_offer', message: 'not an event of the offer' },
      ]);
    }
    if (input.delivery_method === 'postback' && input.postback_url) await checkTarget(input.postback_url);
    return toPostbackFields(input);
  }

  async function checkTarget(url: string): Promise<void> {
    // A macro in the host ({sub1}.example.com) cannot be resolved now: the send-time guard covers it.
    const host = /^https?:\/\/(?:[^/?#@]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
    if (host.includes('{')) return;
    const verdict = await deps.guard.checkUrl(url);
    // A host that does not resolve yet is allowed to be saved; only a definite private target is refused.
    if (!verdict.allowed && verdict.why !== 'unresolvable') {
      throw new ApiError(422, 'PRIVATE_TARGET', `postback_url refused: ${verdict.reason}`, [
        { field: 'postback_url', rule: 'postback_url.public_target', message: verdict.reason },
      ]);
    }
  }

  const track = (p: PartnerPostback | null): PartnerPostback | null => {
    if (p) directory.upsert(p);
    return p;
  };

  return {
    createOffer: (input: OfferInput) => store.createOffer(offerDraft(input), now()),
    replaceOffer: (id: number, input: OfferInput) => store.replaceOffer(id, offerDraft(input), now()),
    getOffer: (id: number) => store.getOffer(id),
    listOffers: () => store.listOffers(),
    createPartner: (input: PartnerInput) => store.createPartner(input, now()),
    replacePartner: (id: number, input: PartnerInput) => store.replacePartner(id, input, now()),
    getPartner: (id: number) => store.getPartner(id),
    listPartners: () => store.listPartners(),

    async createPostback(input: PostbackInput): Promise<PartnerPostback> {
      return track(await store.createPostback(await validatePostback(input), now())) as PartnerPostback;
    },
    async replacePostback(id: number, input: PostbackInput): Promise<PartnerPostback | null> {
      return track(await store.replacePostback(id, await validatePostback(input), now()));
    },
    async deletePostback(id: number): Promise<PartnerPostback | null> {
      return track(await store.deletePostback(id, now()));
    },
    async enablePostback(id: number, replaySkipped: boolean) {
      const result = await store.enablePostback(id, now(), replaySkipped);
      if (result) {
        track(result.postback);
        if (result.replayed > 0) deps.notify();
      }
      return result;
    },
    getPostback: (id: number) => store.getPostback(id),
    /**
     * Everflow's search semantics (https://developers.everflow.io/docs/network/postbacks): filtering by offer
     * also returns that partner-wide
     * `global` postbacks can fire for it; filtering by partner also returns `global_offer` ones.
     */
    async listPostbacks(filter: { offerId?: number | undefined; partnerId?: number | undefined; status?: string | undefined }): Promise<PartnerPostback[]> {
      return (await store.livePostbacks()).filter((p) => {
        if (filter.status && p.status !== filter.status) return false;
        if (filter.offerId !== undefined && p.offerId !== filter.offerId && p.level !== 'global') return false;
        if (filter.partnerId !== undefined && p.partnerId !== filter.partnerId && p.level !== 'global_offer') return false;
        return true;
      });
    },
  };
}
export type NetworkEntities = ReturnType<typeof networkEntities>;
