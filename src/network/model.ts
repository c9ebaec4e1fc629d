/**
 * The network side's records, after Everflow's
 * (https://developers.everflow.io/api-reference/post-networkspixels.md,
 * https://developers.everflow.io/docs/network/conversion_updates/). Ids of offers, partners, postbacks and
 * offer events are integers, as Everflow's are; click transaction ids and conversion ids are
 * 32 lowercase hex characters, as in Everflow's examples
 * (https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros).
 */
export const POSTBACK_LEVELS = ['global', 'specific', 'global_offer'] as const;
export const POSTBACK_TYPES = ['conversion', 'event', 'cpc'] as const;
export const DELIVERY_METHODS = ['postback', 'html'] as const;
/**
 * `deactivated` is set only by the failure rule
 * (https://helpdesk.everflow.io/collaborator/managing-postbacks-as-a-partner); `deleted` is a soft delete.
 */
export const POSTBACK_STATUSES = ['active', 'inactive', 'deactivated', 'deleted'] as const;
export const ENTITY_STATUSES = ['active', 'inactive'] as const;
/** Everflow's four conversion statuses (https://developers.everflow.io/docs/network/conversion_updates/). */
export const NETWORK_CONVERSION_STATUSES = ['approved', 'pending', 'rejected', 'invalid'] as const;
/** Offer payout/revenue models we compute: flat per conversion, percent of sale, flat per unique click. */
export const AMOUNT_TYPES = ['cpa', 'cps', 'cpc'] as const;

export type PostbackLevel = (typeof POSTBACK_LEVELS)[number];
export type PostbackType = (typeof POSTBACK_TYPES)[number];
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];
export type PostbackStatus = (typeof POSTBACK_STATUSES)[number];
export type EntityStatus = (typeof ENTITY_STATUSES)[number];
export type NetworkConversionStatus = (typeof NETWORK_CONVERSION_STATUSES)[number];
export type AmountType = (typeof AMOUNT_TYPES)[number];

export interface OfferEvent {
  id: number;
  name: string;
  /** Flat partner payout of this event; null = 0. */
  payoutAmount: string | null;
  revenueAmount: string | null;
  /**
   * The per-event "Fire Partner Postback" toggle
   * (https://help.everflow.io/support/solutions/articles/22000233448-fire-affiliate-postback-toggle).
   */
  firePostbacks: boolean;
}

export interface Offer {
  id: number;
  name: string;
  status: EntityStatus;
  currency: string;
  payoutType: AmountType;
  /** Decimal string: flat amount (cpa, cpc) or percent of the sale amount (cps). */
  payoutAmount: string;
  revenueType: AmountType;
  revenueAmount: string;
  /**
   * Everflow's "Allow Duplicate Conversions"
   * (https://helpdesk.everflow.io/customer/conversions-error-code-reference-guide); off = a second conversion
   * on a transaction is refused.
   */
  allowDuplicates: boolean;
  /**
   * The offer's "Fire Partner Postback" toggle
   * (https://help.everflow.io/support/solutions/articles/22000233448-fire-affiliate-postback-toggle).
   */
  firePostbacks: boolean;
  events: OfferEvent[];
  createdAt: number;
  updatedAt: number;
}

export interface Partner {
  id: number;
  name: string;
  status: EntityStatus;
  createdAt: number;
  updatedAt: number;
}

export interface PostbackFields {
  /** 0 for level global_offer (https://developers.everflow.io/api-reference/post-networkspixels.md). */
  partnerId: number;
  /** 0 for level global. */
  offerId: number;
  level: PostbackLevel;
  type: PostbackType;
  deliveryMethod: DeliveryMethod;
  status: PostbackStatus;
  postbackUrl: string | null;
  httpMethod: 'GET' | 'POST';
  postBody: string | null;
  postContentType: 'application/x-www-form-urlencoded' | 'application/json';
  htmlCode: string | null;
  description: string | null;
  delayMs: number;
  /** Event filter for type `event`: 0 = every event of the offer (https://developers.everflow.io/api-reference/post-networkspixels.md). */
  eventId: number;
}

export interface PartnerPostback extends PostbackFields {
  id: number;
  deactivatedReason: string | null;
  deactivatedAt: number | null;
  /** Times of the current run of consecutive failures (newest last, at most the threshold kept). */
  failureStreak: number[];
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NetworkClick {
  transactionId: string;
  offerId: number;
  partnerId: number;
  sourceId: string | null;
  /** sub1…sub10 as given on the click. */
  subs: Record<string, string>;
  isUnique: boolean;
  createdAt: number;
}

export interface NetworkConversion {
  id: string;
  transactionId: string;
  offerId: number;
  partnerId: number;
  /**
   * A base conversion or a post-conversion event (Everflow's pixel types,
   * https://developers.everflow.io/api-reference/post-networkspixels.md).
   */
  kind: 'conversion' | 'event';
  /** 0 for a base conversion. */
  eventId: number;
  eventName: string | null;
  status: NetworkConversionStatus;
  payout: string | null;
  revenue: string | null;
  saleAmount: string | null;
  currency: string;
  orderId: string | null;
  /** Everything the partner macros need, under the macro names (see connectors/partner-postback/macros.ts). */
  params: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** The destination id of a partner postback in the outbox. */
export const postbackDestinationId = (id: number): string => `pp-${id}`;
export function postbackIdOf(destinationId: string): number | null {
  const m = /^pp-(\d+)$/.exec(destinationId);
  return m ? Number(m[1]) : null;
}
/** The destination id of a network webhook for one event type. */
export const webhookDestinationId = (webhookId: string, event: string): string => `nwh-${webhookId}-${event}`;
