import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { renderPartnerHtml } from '../../connectors/partner-postback/macros';
import { ApiError } from '../api-error';
import type { ConversionRequest } from './conversions';
import type { NetworkDirectory } from './directory';
import { postbackMatches } from './match';
import type { NetworkConversion } from './model';
import type { ClickResult, ConversionResult, NetworkStore } from '../store/network/network-store';
import { type clickInput, type conversionInput, numberedValues, type s2sInput, type statusInput } from './tracking-inputs';

export interface TrackingDeps {
  store: NetworkStore;
  directory: NetworkDirectory;
  now: () => number;
  networkId: number;
  verificationToken?: string | undefined;
  /** New deliveries are committed: wake the engine instead of waiting for its poll. */
  notify: () => void;
}

export interface RenderedPixel {
  postbackId: number;
  html: string;
}

/**
 * Clicks, conversions and events (as Everflow's: https://everflowtechnologies.mintlify.app/api-reference/post-networkstrackingoffersclicks,
 * https://developers.everflow.io/docs/network/conversion_updates/,
 * https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls), and the HTML pixels of a
 * conversion.
 */
export function networkTracking(deps: TrackingDeps) {
  const { store, directory, now } = deps;
  const woke = <T extends { deliveries: Array<{ status: string }> }>(r: T): T => {
    if (r.deliveries.some((d) => d.status === 'pending')) deps.notify();
    return r;
  };

  /**
   * HTML pixels are never sent from the server (Everflow's SDK renders them:
   * https://github.com/everflow-io/everflow-sdk, src/sdk.js): the conversion page gets them
   * rendered (values HTML-escaped), only for an approved conversion and from active postbacks.
   */
  function pixels(c: NetworkConversion): RenderedPixel[] {
    if (c.status !== 'approved') return [];
    const ev = { kind: c.kind, offerId: c.offerId, partnerId: c.partnerId, eventId: c.eventId };
    return directory
      .all()
      .filter((p) => p.deliveryMethod === 'html' && p.status === 'active' && p.htmlCode && postbackMatches(p, ev))
      .sort((a, b) => a.id - b.id)
      .map((p) => ({ postbackId: p.id, html: renderPartnerHtml(p.htmlCode as string, c.params) }));
  }

  async function register(req: ConversionRequest): Promise<ConversionResult & { pixels: RenderedPixel[] }> {
    const result = woke(await store.recordConversion(req, now()));
    return { ...result, pixels: pixels(result.conversion) };
  }

  return {
    async registerClick(input: z.infer<typeof clickInput>): Promise<ClickResult> {
      const ipHash = input.ip ? createHash('sha256').update(input.ip).digest('hex') : null;
      const draft = { offerId: input.offer_id, partnerId: input.partner_id, sourceId: input.source_id ?? null, subs: numberedValues(input, 'sub'), ipHash };
      return woke(await store.recordClick(draft, now()));
    },

    /** The advertiser's JSON API. */
    registerConversion(input: z.infer<typeof conversionInput>) {
      return register({
        transactionId: input.transaction_id,
        eventId: input.event_id,
        status: input.status,
        saleAmount: input.sale_amount ?? null,
        currency: input.currency ?? null,
        orderId: input.order_id ?? null,
        couponCode: input.coupon_code ?? null,
        adv: numberedValues(input, 'adv'),
        payout: input.payout,
        revenue: input.revenue,
      });
    },

    /**
     * The advertiser S2S postback `GET /?nid=…&transaction_id=…`
     * (https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls): approved on arrival.
     */
    registerS2s(input: z.infer<typeof s2sInput>) {
      if (input.nid !== deps.networkId)
        throw new ApiError(400, 'INVALID_NETWORK', `nid ${input.nid} is not this network (Everflow error 11)`, [
          { field: 'nid', message: 'unknown network id' },
        ]);
      if (deps.verificationToken !== undefined && input.verification_token !== deps.verificationToken) {
        throw new ApiError(401, 'INVALID_VERIFICATION_TOKEN', 'verification_token is missing or wrong', [
          { field: 'verification_token', message: 'does not match' },
        ]);
      }
      return register({
        transactionId: input.transaction_id,
        eventId: input.event_id,
        status: 'approved',
        saleAmount: input.amount ?? null,
        currency: input.currency ?? null,
        orderId: input.order_id ?? null,
        couponCode: input.coupon_code ?? null,
        adv: numberedValues(input, 'adv'),
      });
    },

    async setStatus(id: string, input: z.infer<typeof statusInput>): Promise<ConversionResult & { pixels: RenderedPixel[] }> {
      const result = await store.setConversionStatus(id, input.status, now());
      if (!result) throw new ApiError(404, 'NOT_FOUND', `no network conversion ${id}`);
      woke(result);
      return { ...result, deliveries: await store.deliveriesOf(id), pixels: pixels(result.conversion) };
    },

    async getConversion(id: string) {
      const conversion = await store.getConversion(id);
      if (!conversion) throw new ApiError(404, 'NOT_FOUND', `no network conversion ${id}`);
      return { conversion, deliveries: await store.deliveriesOf(id), pixels: pixels(conversion) };
    },

    async pixelsOf(id: string): Promise<{ conversion: NetworkConversion; pixels: RenderedPixel[] }> {
      const conversion = await store.getConversion(id);
      if (!conversion) throw new ApiError(404, 'NOT_FOUND', `no network conversion ${id}`);
      return { conversion, pixels: pixels(conversion) };
    },
  };
}
export type NetworkTracking = ReturnType<typeof networkTracking>;
