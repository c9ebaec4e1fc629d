import type { z } from 'zod';
import type { ConversionRecord } from '../conversions/conversion';
import type { Adjustment, AdjustmentType } from './adjustment';
import type { DeliveryError } from './delivery-error';
import type { HttpClient, PlatformRequest, PlatformResponse } from './http-types';
import type { IdentifierName } from './identifiers-sent';

/** One delivery as a connector sees it: the conversion plus the stable de-duplication key. */
export interface DeliveryItem {
  deliveryId: string;
  /**
   * Stable per (conversion, destination) and identical on every retry: put it where the platform
   * de-duplicates (Meta `event_id`, Google `order_id`, TikTok `event_id`, Reddit `conversion_id`).
   */
  dedupKey: string;
  /** 1 for the first try. */
  attempt: number;
  conversion: ConversionRecord;
  /** Set on a correction (a delivery of an `adjustments` connector): what to take back or restate. */
  adjustment?: Adjustment;
}

export interface ConnectorContext<S, C> {
  destinationId: string;
  settings: S;
  credentials: C;
  /** Injected clock (epoch ms), so `build` stays pure and tests control time. */
  now: number;
  /**
   * A synthetic conversion from `POST /v1/destinations/:id/test`: use the platform's test mode
   * (Meta/TikTok test_event_code, Reddit test_mode, Google validate_only) so nothing counts.
   */
  test?: boolean;
}

export type ItemOutcome = { ok: true; note?: string } | { ok: false; error: DeliveryError };
/** One outcome for the whole request, or one per item in the order of `items`. */
export type Outcome = ItemOutcome | ItemOutcome[];

/** The I/O a connector with a custom `send` may use. It never opens sockets of its own. */
export interface ConnectorIo {
  http: HttpClient;
  timeoutMs: number;
}

export interface ConnectorLimits {
  /** Most items one request may carry (1 = no batching). */
  maxBatch: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export interface Connector<S extends z.ZodType = z.ZodType, C extends z.ZodType = z.ZodType> {
  /** Equals the folder name under connectors/. */
  readonly id: string;
  readonly displayName: string;
  /** Pinned upstream API version, e.g. 'v24.0'. */
  readonly apiVersion: string;
  readonly settings: S;
  /** Secrets only. Their values are redacted from every log and attempt record. */
  readonly credentials: C;
  readonly limits: ConnectorLimits;
  /** Pure: reject one item before it is batched with others (one bad event must not sink a batch). */
  validate?(item: DeliveryItem, ctx: ConnectorContext<z.infer<S>, z.infer<C>>): DeliveryError | null;
  /** Pure and deterministic: items → one platform request. May throw a DeliveryError. */
  build(items: readonly DeliveryItem[], ctx: ConnectorContext<z.infer<S>, z.infer<C>>): PlatformRequest;
  /** Only where an SDK or a token exchange must do the I/O; defaults to `io.http.send(request)`. */
  send?(request: PlatformRequest, io: ConnectorIo, ctx: ConnectorContext<z.infer<S>, z.infer<C>>): Promise<PlatformResponse>;
  /** Pure, never throws: the platform's answer → outcome(s). */
  classify(response: PlatformResponse, request: PlatformRequest, items: readonly DeliveryItem[]): Outcome;
  /**
   * Pure: the names of the matching signals (identifiers-sent.ts vocabulary, never values) that
   * `request` — as built, or as recorded on an attempt — carries for the item with `dedupKey`;
   * null when the request does not show it. Lets the API show per delivery what went out.
   */
  identifiersSent?(request: PlatformRequest, dedupKey: string): string[] | null;
  /**
   * Every name `identifiersSent` can answer for this connector: the match-quality view lists each
   * of them per destination, so a signal that never goes out shows as 0 %, not as absent.
   */
  readonly signals?: readonly IdentifierName[];
  /** Cheap credential check for "test connection". */
  verify?(io: ConnectorIo, ctx: ConnectorContext<z.infer<S>, z.infer<C>>): Promise<void>;
  /**
   * Where the platform can take a conversion back or change its value: the connector that sends
   * those corrections (same settings and credentials). Absent: the platform cannot, and a
   * reversed conversion is only marked "cannot be retracted" (src/delivery/adjustments.ts).
   */
  readonly adjustments?: Connector<S, C>;
  /** On an `adjustments` connector: the corrections the platform takes (Google Ads: both). */
  readonly adjustmentTypes?: readonly AdjustmentType[];
  /**
   * Loads what the connector keeps out of the process's start (an SDK: meta/sdk.ts). openGateway
   * calls it once for each configured destination's connector; one that is never configured never
   * loads it. Must also be safe to skip: the connector loads on first use anyway.
   */
  load?(): void;
  /** Release what `send` keeps between calls (gRPC channels); called once at shutdown. */
  close?(): Promise<void>;
}

/** Identity with inference: gives `build`/`classify` their settings and credential types. */
export function defineConnector<S extends z.ZodType, C extends z.ZodType>(connector: Connector<S, C>): Connector<S, C> {
  return connector;
}

/** Type-erased connector, as the registry and the engine hold them. */
export type AnyConnector = Connector<z.ZodType, z.ZodType>;
