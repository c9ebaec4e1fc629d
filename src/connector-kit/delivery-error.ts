/**
 * The outbound error taxonomy. Every failure of a delivery attempt is a DeliveryError with a
 * `kind`; what the engine does next (retry, pause the destination, fail only this event) follows
 * from the kind through the single POLICY table below — never from flags set at the throw site.
 */
export type DeliveryErrorKind = 'transient' | 'rate_limited' | 'auth' | 'config' | 'payload';

export interface KindPolicy {
  /** Try again later with backoff. */
  readonly retryable: boolean;
  /** Stop the whole destination until a person fixes it (credentials, unknown pixel…). */
  readonly pausesDestination: boolean;
  /** Counts toward the destination's consecutive-failure streak (health, deactivation). */
  readonly countsTowardHealth: boolean;
}

export const POLICY = {
  transient: { retryable: true, pausesDestination: false, countsTowardHealth: true },
  rate_limited: { retryable: true, pausesDestination: false, countsTowardHealth: true },
  auth: { retryable: false, pausesDestination: true, countsTowardHealth: false },
  config: { retryable: false, pausesDestination: true, countsTowardHealth: false },
  payload: { retryable: false, pausesDestination: false, countsTowardHealth: false },
} as const satisfies Record<DeliveryErrorKind, KindPolicy>;

export const DELIVERY_ERROR_KINDS = Object.keys(POLICY) as DeliveryErrorKind[];

export interface DeliveryErrorOptions {
  /** Upstream HTTP status, when there was a response. */
  status?: number;
  /** The platform's own error code, e.g. Meta `190`, TikTok `40100`, Google `TOO_RECENT_EVENT`. */
  platformCode?: string;
  /** Earliest time to try again, from Retry-After or the platform's documented wait. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class DeliveryError extends Error {
  readonly kind: DeliveryErrorKind;
  readonly status?: number;
  readonly platformCode?: string;
  readonly retryAfterMs?: number;

  constructor(kind: DeliveryErrorKind, message: string, options: DeliveryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.kind = kind;
    if (options.status !== undefined) this.status = options.status;
    if (options.platformCode !== undefined) this.platformCode = options.platformCode;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  get retryable(): boolean {
    return POLICY[this.kind].retryable;
  }

  get pausesDestination(): boolean {
    return POLICY[this.kind].pausesDestination;
  }
}

/** Anything thrown by connector code that is not a DeliveryError is a bug; treat it as transient. */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('transient', `unexpected error: ${message}`, { cause: err });
}
