import type { ConversionRecord, ConversionStatus } from '../conversions/conversion';
import type { PlatformRequest } from '../connector-kit/http-types';
import type { Adjustment } from '../connector-kit/adjustment';
import type { AttemptHook } from './attempt-records';

/**
 * The Ledger port: conversions, the outbox (deliveries), attempts, rejections and destination
 * state. Async everywhere so another engine (Postgres) can implement it with the same SQL.
 */
export type DeliveryStatus = 'pending' | 'succeeded' | 'dead' | 'cancelled' | 'skipped'; // skipped: partner postback deactivated (src/network); replayable

export interface DeliveryRow {
  id: string;
  conversionId: string;
  destinationId: string;
  connector: string;
  dedupKey: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  lastKind: string | null;
  /** A correction of an earlier delivery (migration 61); null or absent on an ordinary one. */
  adjustment?: Adjustment | null;
  /** Identifier names (never values) the latest request carried for it; null until one was built (migration 62). */
  identifiersSent: string[] | null;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRow {
  id: string;
  deliveryId: string;
  attempt: number;
  startedAt: number;
  durationMs: number;
  request: PlatformRequest | null;
  responseStatus: number | null;
  responseBody: string | null;
  /** Response headers as recorded (bounded, credentials redacted); absent on attempts stored before they were kept. */
  responseHeaders?: Record<string, string> | null;
  outcome: 'succeeded' | 'failed';
  errorKind: string | null;
  errorMessage: string | null;
  platformCode: string | null;
  /** The connector's remark on a success, e.g. Google "already recorded". */
  note: string | null;
  /** done · retry · dead · paused */
  nextStep: 'done' | 'retry' | 'dead' | 'paused';
  nextAttemptAt: number | null;
}

export interface RouteTarget {
  destinationId: string;
  connector: string;
  dedupKey: string;
  maxAttempts: number;
}

/** A correction to queue: a delivery of its own (src/delivery/adjustments.ts). */
export interface AdjustmentTarget extends RouteTarget {
  adjustment: Adjustment;
}

export interface PostbackWrite {
  /** A new conversion, used if (source, transactionId, event) is not stored yet. */
  conversion: ConversionRecord;
  /** Pure routing, evaluated inside the transaction against the stored conversion. */
  route: (conversion: ConversionRecord) => RouteTarget[];
  /**
   * Pure: the corrections a repeat of a stored conversion calls for (`stored` as it was before
   * this postback, its deliveries as they are), queued in the same transaction.
   */
  adjust?: (stored: ConversionRecord, incoming: ConversionRecord, deliveries: readonly DeliveryRow[]) => AdjustmentTarget[];
}

export interface PostbackResult {
  conversion: ConversionRecord;
  duplicate: boolean;
  /** An existing conversion whose status changed. */
  updated: boolean;
  deliveries: Array<{ id: string; destinationId: string; status: DeliveryStatus }>;
  /** Corrections this postback queued (retractions, restatements). */
  adjustments?: AdjustmentTarget[];
}

export interface ClaimedDelivery {
  delivery: DeliveryRow;
  conversion: ConversionRecord;
}

export interface AttemptResult {
  deliveryId: string;
  leaseOwner: string;
  /** `exchangeId`: the one HTTP request this attempt was part of (shared by a batch), or null if none was sent. */
  attempt: Omit<AttemptRow, 'id' | 'deliveryId'> & { exchangeId: string | null };
  /** The delivery's new state. */
  status: DeliveryStatus;
  nextAttemptAt: number;
  destinationId: string;
  /** succeeded: resets the failure streak; failed: extends it when the kind counts toward health. */
  health: 'success' | 'failure' | 'neutral';
  pause?: { reason: string };
  /** Names of the identifiers this attempt's request carried for the delivery (connector's identifiersSent); absent or null: none built, or the connector does not say — the stored names stay. */
  identifiersSent?: string[] | null;
}

export interface DestinationState {
  destinationId: string;
  paused: boolean;
  pausedReason: string | null;
  pausedAt: number | null;
  consecutiveFailures: number;
  firstFailureAt: number | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
}

export interface RejectionRow {
  id: string;
  source: string | null;
  receivedAt: number;
  httpStatus: number;
  code: string;
  message: string;
  params: Record<string, string>;
}

export interface DeliveryQuery {
  status?: DeliveryStatus;
  destinationId?: string;
  limit: number;
  /** Paging, newest first: rows after this one in (created_at DESC, id) order. */
  after?: PageCursor;
  /** Last changed at or after (ms): for a dead delivery, when it died. */
  updatedSince?: number;
  ids?: string[];
}

/** A conversion's deliveries seen from the console: `paused` = pending on a paused destination. */
export type DeliveryOutcome = 'succeeded' | 'pending' | 'dead' | 'paused' | 'cancelled' | 'skipped';

export interface ConversionSearch {
  transactionId?: string;
  clickId?: string;
  source?: string;
  offerId?: string;
  status?: ConversionStatus;
  matched?: boolean;
  /** With `destinationId`: that destination's delivery has this outcome; alone: any delivery has it. */
  outcome?: DeliveryOutcome;
  destinationId?: string;
  hasWarnings?: boolean;
  /** received_at ≥ from. */
  from?: number;
  /** received_at < to. */
  to?: number;
  limit: number;
  /** Paging, newest first: rows after this one in (received_at DESC, id DESC) order. */
  after?: PageCursor;
}

export interface ConversionListItem {
  conversion: ConversionRecord;
  warnings: string[];
}

export interface PostbackSearch {
  source?: string;
  outcome?: 'accepted' | 'rejected';
  from?: number;
  to?: number;
  limit: number;
  /** (received_at DESC, id DESC) order across both tables. */
  after?: PageCursor;
}

/** A postback that reached the gateway: accepted (its conversion) or refused (its rejection). */
export interface ReceivedPostback {
  id: string;
  source: string | null;
  receivedAt: number;
  outcome: 'accepted' | 'rejected';
  httpStatus: number;
  code: string | null;
  message: string | null;
  params: Record<string, string>;
  conversionId: string | null;
}

export interface StatCount {
  name: string;
  /** Start of the minute, epoch ms. */
  bucket: number;
  n: number;
}

/** Aggregates over from ≤ t < to; series buckets are `floor((t - from) / bucketMs)`. */
export interface WindowStats {
  conversions: number;
  matched: number;
  rejectedByCode: Record<string, number>;
  /** stat_counts summed by name over the window's minutes. */
  counts: Record<string, number>;
  /** Deliveries created in the window, by destination and current status. */
  deliveries: Array<{ destinationId: string; status: DeliveryStatus; n: number }>;
  /** Deliveries created (conversions sent to a destination) and failed attempts, per bucket. */
  series: Array<{ destinationId: string; bucket: number; conversions: number; failures: number }>;
}

/** Succeeded deliveries created in a window, per destination and stored identifier-name set. */
export interface MatchQualityRow {
  destinationId: string;
  /** The stored names; null for deliveries recorded without them (before migration 62, or a connector that does not say). */
  identifiers: string[] | null;
  n: number;
}

export interface OutboxStats {
  /** Pending deliveries. */
  depth: number;
  /** created_at of the oldest pending delivery; null when none. */
  oldestPendingAt: number | null;
}

/** A position in a newest-first listing: the last row's time and id (ties broken by id). */
export interface PageCursor {
  at: number;
  id: string;
}

export interface Ledger {
  recordPostback(write: PostbackWrite, now: number): Promise<PostbackResult>;
  recordRejection(rejection: RejectionRow): Promise<void>;
  /** Append warnings to a stored conversion (a repeat with another payout, a late reject…); capped, duplicates dropped. */
  addConversionWarnings(conversionId: string, warnings: string[]): Promise<void>;
  getConversion(id: string): Promise<ConversionRecord | null>;
  getDelivery(id: string): Promise<DeliveryRow | null>;
  listDeliveriesOf(conversionId: string): Promise<DeliveryRow[]>;
  listAttempts(deliveryIds: string[]): Promise<AttemptRow[]>;
  listDeliveries(query: DeliveryQuery): Promise<DeliveryRow[]>;
  listRejections(limit: number, after?: PageCursor): Promise<RejectionRow[]>;
  claimDue(args: { owner: string; now: number; leaseMs: number; limit: number; holdDestinations: string[] }): Promise<ClaimedDelivery[]>;
  /** Records finished attempts; `hook`'s statements (the network's failure streaks) commit in the same transaction. */
  completeAttempts(results: AttemptResult[], now: number, hook?: AttemptHook): Promise<void>;
  /** Give a claimed delivery back untouched (shutdown, paused destination). */
  release(deliveryIds: string[], owner: string): Promise<void>;
  /** Make a dead (or pending) delivery due now with a fresh attempt budget. */
  retryDelivery(id: string, now: number, extraAttempts: number): Promise<DeliveryRow | null>;
  destinationStates(): Promise<DestinationState[]>;
  resumeDestination(id: string, now: number): Promise<DestinationState | null>;
  countDeliveries(): Promise<Record<DeliveryStatus, number>>;
  /** Console search, newest first (issue 8). */
  searchConversions(q: ConversionSearch): Promise<ConversionListItem[]>;
  conversionWarnings(conversionId: string): Promise<string[]>;
  /** The deliveries of many conversions (list pages), in one query. */
  deliveriesOfConversions(conversionIds: string[]): Promise<DeliveryRow[]>;
  /** Accepted (conversions) and rejected postbacks merged, newest first. */
  listPostbacks(q: PostbackSearch): Promise<ReceivedPostback[]>;
  /** Bulk retry: each still-dead delivery due now with a fresh budget; returns the rows changed. */
  retryDeadDeliveries(items: Array<{ id: string; extraAttempts: number }>, now: number): Promise<DeliveryRow[]>;
  windowStats(from: number, to: number, bucketMs: number): Promise<WindowStats>;
  outboxStats(): Promise<OutboxStats>;
  /** Succeeded deliveries created in from ≤ t < to, grouped by destination and identifier-name set (issue 11 item 7). */
  matchQuality(from: number, to: number): Promise<MatchQualityRow[]>;
  /** Adds to the per-minute counters (upsert n = n + ?). */
  addStatCounts(counts: StatCount[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
