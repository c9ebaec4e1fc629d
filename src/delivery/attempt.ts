import type { ConnectorContext, DeliveryItem, ItemOutcome } from '../connector-kit/define';
import { DeliveryError, POLICY, toDeliveryError } from '../connector-kit/delivery-error';
import type { HttpClient, PlatformRequest, PlatformResponse } from '../connector-kit/http-types';
import { createRedactor } from '../connector-kit/redact';
import type { AttemptResult, ClaimedDelivery } from '../store/ledger';
import { newId } from '../ids';
import { backoffDelay, type BackoffOptions } from './backoff';
import { recordedResponseHeaders } from './response-headers';
import type { ResolvedDestination } from './destinations';

const RESPONSE_BODY_KEPT = 2048;

export interface AttemptDeps {
  http: HttpClient;
  now: () => number;
  backoff: BackoffOptions;
  random?: () => number;
  /** A synthetic conversion from the test tool: connectors use the platform's test mode. */
  test?: boolean;
}

/**
 * One request for a batch of claimed deliveries of ONE destination: validate each item, build,
 * send, classify, and turn every item's outcome into its next state. Never throws: whatever
 * goes wrong becomes a DeliveryError on the items it concerns.
 */
export async function attemptBatch(dest: ResolvedDestination, claimed: readonly ClaimedDelivery[], owner: string, deps: AttemptDeps): Promise<AttemptResult[]> {
  const startedAt = deps.now();
  const { connector } = dest;
  const ctx: ConnectorContext<unknown, unknown> = {
    destinationId: dest.config.id,
    settings: dest.settings,
    credentials: dest.credentials,
    now: startedAt,
    ...(deps.test ? { test: true } : {}),
  };
  const items: DeliveryItem[] = claimed.map(({ delivery, conversion }) => ({
    deliveryId: delivery.id,
    dedupKey: delivery.dedupKey,
    attempt: delivery.attempts + 1,
    conversion,
    ...(delivery.adjustment ? { adjustment: delivery.adjustment } : {}),
  }));
  const outcomes = new Map<string, ItemOutcome>();
  const valid: DeliveryItem[] = [];
  for (const item of items) {
    const err = safe(() => connector.validate?.(item, ctx) ?? null);
    if (err) outcomes.set(item.deliveryId, { ok: false, error: err });
    else valid.push(item);
  }

  let request: PlatformRequest | null = null;
  let response: PlatformResponse | null = null;
  /** Per delivery: the identifier names the built request carries for it (names only; issue 11 item 7). */
  const sent = new Map<string, string[]>();
  if (valid.length > 0) {
    try {
      request = connector.build(valid, ctx);
      for (const item of valid) {
        const names = identifiersOf(connector, request, item.dedupKey);
        if (names) sent.set(item.deliveryId, names);
      }
      const io = { http: deps.http, timeoutMs: connector.limits.timeoutMs };
      response = connector.send ? await connector.send(request, io, ctx) : await deps.http.send(request, { timeoutMs: connector.limits.timeoutMs });
      const classified = safe(() => connector.classify(response as PlatformResponse, request as PlatformRequest, valid));
      const list: ItemOutcome[] =
        classified instanceof DeliveryError
          ? valid.map(() => ({ ok: false, error: classified }))
          : Array.isArray(classified)
            ? classified
            : valid.map(() => classified);
      valid.forEach((item, i) => {
        outcomes.set(item.deliveryId, list[i] ?? { ok: false, error: new DeliveryError('transient', 'connector returned no outcome for this item') });
      });
    } catch (err) {
      const error = toDeliveryError(err);
      for (const item of valid) outcomes.set(item.deliveryId, { ok: false, error });
    }
  }

  const finishedAt = deps.now();
  const pii = claimed.flatMap(({ conversion }) => [conversion.click?.ip, conversion.click?.userAgent]).filter((v): v is string => !!v);
  const redact = createRedactor(dest.secrets, pii);
  const recordedRequest = request ? redact.request(request) : null;
  const recordedBody = response ? redact.text(response.body.slice(0, RESPONSE_BODY_KEPT)) : null;
  const recordedHeaders = response ? recordedResponseHeaders(response.headers, redact.text) : null;
  // A batch that fails usually fails as one error shared by every item: redact it once.
  const redactedMessages = new Map<DeliveryError, string>();
  // One id for the one request of this batch: the ledger stores its text once for every item.
  const exchangeId = request ? newId() : null;
  // Redirects are never followed (the guard would be bypassed, and a moved receiver needs a
  // person): the attempt shows where it pointed, so the console can say what to change.
  const location = response && response.status >= 300 && response.status < 400 ? response.headers.location : undefined;
  const redirectNote = location ? `Location: ${redact.request({ method: 'GET', url: location, headers: {} }).url}` : null;

  return claimed.map(({ delivery }): AttemptResult => {
    const outcome = outcomes.get(delivery.id) as ItemOutcome;
    const attempt = delivery.attempts + 1;
    const identifiersSent = sent.get(delivery.id) ?? null;
    const base = {
      attempt,
      startedAt,
      durationMs: response?.durationMs ?? finishedAt - startedAt,
      exchangeId,
      request: recordedRequest,
      responseStatus: response?.status ?? null,
      responseBody: recordedBody,
      responseHeaders: recordedHeaders,
    };
    if (outcome.ok) {
      return {
        deliveryId: delivery.id,
        leaseOwner: owner,
        destinationId: dest.config.id,
        identifiersSent,
        status: 'succeeded',
        nextAttemptAt: finishedAt,
        health: 'success',
        attempt: {
          ...base,
          outcome: 'succeeded',
          errorKind: null,
          errorMessage: null,
          platformCode: null,
          note: outcome.note ?? redirectNote,
          nextStep: 'done',
          nextAttemptAt: null,
        },
      } satisfies AttemptResult;
    }
    const { error } = outcome;
    const policy = POLICY[error.kind];
    let message = redactedMessages.get(error);
    if (message === undefined) redactedMessages.set(error, (message = redact.text(error.message)));
    const failed = {
      ...base,
      outcome: 'failed' as const,
      errorKind: error.kind,
      errorMessage: message,
      platformCode: error.platformCode ?? null,
      note: redirectNote,
    };
    const health = policy.countsTowardHealth ? 'failure' : 'neutral';
    if (policy.pausesDestination) {
      // The delivery waits for the destination to be fixed and resumed; it is not dead.
      return {
        deliveryId: delivery.id,
        leaseOwner: owner,
        destinationId: dest.config.id,
        identifiersSent,
        status: 'pending',
        nextAttemptAt: finishedAt,
        health,
        pause: { reason: `${error.kind}: ${message}` },
        attempt: { ...failed, nextStep: 'paused', nextAttemptAt: null },
      } satisfies AttemptResult;
    }
    if (policy.retryable && attempt < delivery.maxAttempts) {
      const next = finishedAt + backoffDelay(attempt, deps.backoff, error.retryAfterMs, deps.random);
      return {
        deliveryId: delivery.id,
        leaseOwner: owner,
        destinationId: dest.config.id,
        identifiersSent,
        status: 'pending',
        nextAttemptAt: next,
        health,
        attempt: { ...failed, nextStep: 'retry', nextAttemptAt: next },
      } satisfies AttemptResult;
    }
    return {
      deliveryId: delivery.id,
      leaseOwner: owner,
      destinationId: dest.config.id,
      identifiersSent,
      status: 'dead',
      nextAttemptAt: finishedAt,
      health,
      attempt: { ...failed, nextStep: 'dead', nextAttemptAt: null },
    } satisfies AttemptResult;
  });
}

/** The connector's names for one item of a built request; a connector that throws says nothing rather than failing the attempt. */
function identifiersOf(connector: ResolvedDestination['connector'], request: PlatformRequest, dedupKey: string): string[] | null {
  if (!connector.identifiersSent) return null;
  try {
    return connector.identifiersSent(request, dedupKey);
  } catch {
    return null;
  }
}

/** Runs pure connector code; a throw becomes a DeliveryError instead of escaping. */
function safe<T>(fn: () => T): T | DeliveryError {
  try {
    return fn();
  } catch (err) {
    return toDeliveryError(err);
  }
}
