import type { ConversionRecord } from '../conversions/conversion';
import type { PlatformRequest } from '../connector-kit/http-types';

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

export interface PostbackWrite {
  /** A new conversion, used if (source, transactionId, event) is not stored yet. */
  conversion: ConversionRecord;
  /** Pure routing, evaluated inside the transaction against the stored conversion. */
  route: (conversion: ConversionRecord) => RouteTarget[];
}

export interface PostbackResult {
  conversion: ConversionRecord;
  duplicate: boolean;
  /** An existing conversion whose status changed. */
  updated: boolean;
  deliveries: Array<{ id: string; destinationId: string; status: DeliveryStatus }>;
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
  completeAttempts(results: AttemptResult[], now: number): Promise<void>;
  /** Give a claimed delivery back untouched (shutdown, paused destination). */
  release(deliveryIds: string[], owner: string): Promise<void>;
  /** Make a dead (or pending) delivery due now with a fresh attempt budget. */
  retryDelivery(id: string, now: number, extraAttempts: number): Promise<DeliveryRow | null>;
  destinationStates(): Promise<DestinationState[]>;
  resumeDestination(id: string, now: number): Promise<DestinationState | null>;
  countDeliveries(): Promise<Record<DeliveryStatus, number>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
