import type { DeliveryStatus } from '../ledger';
import type { Dialect } from '../dialect';
import type { Steps } from '../sql-steps';
import type { ConversionRequest } from '../../network/conversions';
import type { StreakRule } from '../../network/health';
import type {
  NetworkClick,
  NetworkConversion,
  NetworkConversionStatus,
  Offer,
  OfferEvent,
  Partner,
  PartnerPostback,
  PostbackFields,
} from '../../network/model';

/**
 * The network side's storage port. Every write is one job of the ledger's group commit, so a
 * conversion, its network row, its outbox record and its deliveries land in ONE transaction
 * (ARCHITECTURE.md "The outbox is the queue"). Async everywhere so a Postgres engine can implement it.
 */
export type OfferDraft = Omit<Offer, 'id' | 'createdAt' | 'updatedAt' | 'events'> & { events: Array<Omit<OfferEvent, 'id'> & { id?: number | undefined }> };
export type PartnerDraft = Omit<Partner, 'id' | 'createdAt' | 'updatedAt'>;

export interface ClickDraft {
  offerId: number;
  partnerId: number;
  sourceId: string | null;
  subs: Record<string, string>;
  /** sha256 of the visitor IP, for the duplicate-click session; never the IP itself. */
  ipHash: string | null;
}

export interface FiredDelivery {
  id: string;
  destinationId: string;
  status: DeliveryStatus;
}

export interface ClickResult {
  click: NetworkClick;
  payable: boolean;
  deliveries: FiredDelivery[];
}

export interface ConversionResult {
  conversion: NetworkConversion;
  deliveries: FiredDelivery[];
}

export interface PostbackOutcome {
  postbackId: number;
  /** retry: an attempt failed and the delivery waits for its next one (no streak change). */
  outcome: 'success' | 'failure' | 'retry';
  error: string | null;
}

export interface ReportQuery {
  from: number;
  to: number;
  offerId?: number | undefined;
  partnerId?: number | undefined;
  postbackId?: number | undefined;
  statuses?: DeliveryStatus[] | undefined;
  limit: number;
  before?: number | undefined;
}

export interface ReportRow {
  deliveryId: string;
  postbackId: number;
  conversionId: string;
  transactionId: string;
  offerId: number;
  partnerId: number;
  kind: string;
  createdAt: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
}

export interface NetworkStore {
  createOffer(draft: OfferDraft, now: number): Promise<Offer>;
  replaceOffer(id: number, draft: OfferDraft, now: number): Promise<Offer | null>;
  getOffer(id: number): Promise<Offer | null>;
  listOffers(): Promise<Offer[]>;
  createPartner(draft: PartnerDraft, now: number): Promise<Partner>;
  replacePartner(id: number, draft: PartnerDraft, now: number): Promise<Partner | null>;
  getPartner(id: number): Promise<Partner | null>;
  listPartners(): Promise<Partner[]>;
  createPostback(fields: PostbackFields, now: number): Promise<PartnerPostback>;
  /** PUT: every editable field; a change away from active turns queued sends into `skipped`. */
  replacePostback(id: number, fields: PostbackFields, now: number): Promise<PartnerPostback | null>;
  /**
   * Soft delete, like Everflow's "Deleted" status
   * (https://helpdesk.everflow.io/en/articles/3578161-getting-started-partner-postbacks): history and the
   * report keep their postback.
   */
  deletePostback(id: number, now: number): Promise<PartnerPostback | null>;
  /**
   * Manual re-enable, as Everflow's (a network's postback guide,
   * https://www.ourdreamaiaffiliate.com/onboarding/postbacks); optionally replays what was skipped meanwhile.
   */
  enablePostback(id: number, now: number, replaySkipped: boolean): Promise<{ postback: PartnerPostback; replayed: number } | null>;
  getPostback(id: number): Promise<PartnerPostback | null>;
  /** Every postback not deleted: the directory's cache. */
  livePostbacks(): Promise<PartnerPostback[]>;
  recordClick(draft: ClickDraft, now: number): Promise<ClickResult>;
  recordConversion(req: ConversionRequest, now: number): Promise<ConversionResult>;
  /**
   * Approving a pending conversion fires its postbacks then
   * (https://developers.everflow.io/docs/network/conversion_updates/). null = unknown id.
   */
  setConversionStatus(id: string, status: NetworkConversionStatus, now: number): Promise<ConversionResult | null>;
  getConversion(id: string): Promise<NetworkConversion | null>;
  getClick(transactionId: string): Promise<NetworkClick | null>;
  deliveriesOf(conversionId: string): Promise<FiredDelivery[]>;
  /**
   * The failure rule (https://helpdesk.everflow.io/collaborator/managing-postbacks-as-a-partner) as
   * statements for the job that records the attempts (one commit,
   * src/store/attempt-records.ts AttemptHook): the postbacks it deactivated, and those left with no failure streak.
   */
  outcomeSteps(outcomes: PostbackOutcome[], now: number, rule: StreakRule, d: Dialect): Steps<{ deactivated: PartnerPostback[]; clean: number[] }>;
  report(q: ReportQuery): Promise<ReportRow[]>;
}
