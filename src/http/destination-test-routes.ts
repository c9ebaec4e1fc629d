import type Router from '@koa/router';
import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import type { ClickRecord } from '../clicks/click';
import type { Config } from '../config';
import type { HttpClient } from '../connector-kit/http-types';
import { toDeliveryError } from '../connector-kit/delivery-error';
import { redactText } from '../connector-kit/redact';
import type { ConversionRecord } from '../conversions/conversion';
import { attemptBatch } from '../delivery/attempt';
import type { ResolvedDestination } from '../delivery/destinations';
import { newId } from '../ids';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
import { adminAuth } from './admin-auth';
import { parseBody } from './body';
import { attemptView } from './views';

const testBody = z.object({
  payout: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,8})?$/, 'must be a decimal')
    .default('1.00'),
  currency: z
    .string()
    .transform((c) => c.toUpperCase())
    .refine((c) => CURRENCIES.has(c), 'must be an ISO 4217 currency code')
    .default('USD'),
  /** Use a real click id from the platform to see a real match in its test tool. */
  platform_click_id: z.string().max(512).optional(),
});

/** A conversion that looks like a real one from every platform's point of view. */
export function syntheticConversion(now: number, body: z.infer<typeof testBody>): ConversionRecord {
  const id = newId();
  const pcid = body.platform_click_id ?? `closeloop-test-${id.slice(0, 12)}`;
  const click: ClickRecord = {
    id: newId(),
    link: 'test',
    platform: null,
    platformClickParam: null,
    platformClickId: pcid,
    platformClickIds: { gclid: pcid, fbclid: pcid, ttclid: pcid, rdt_cid: pcid },
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (closeloop test)',
    referrer: null,
    landingUrl: 'https://example.com/landing?closeloop_test=1',
    subs: { sub1: 'test' },
    fbp: null,
    fbc: `fb.1.${now - 60_000}.${pcid}`,
    createdAt: now - 60_000,
  };
  return {
    id,
    source: 'test',
    transactionId: `test-${id}`,
    event: 'conversion',
    status: 'approved',
    payout: body.payout,
    currency: body.currency.toUpperCase(),
    offerId: 'test',
    clickId: click.id,
    matched: true,
    click,
    params: {},
    receivedAt: now,
    updatedAt: now,
  };
}

/**
 * "Test connection" tools. `test` sends ONE synthetic conversion in the platform's test mode and
 * returns the exact request (secrets redacted) and response; nothing is stored. `verify` runs
 * the connector's cheap credential check where the platform has one.
 */
export function destinationTestRoutes(
  router: Router,
  deps: { config: Config; destinations: { get(id: string): ResolvedDestination | undefined }; http: HttpClient; now: () => number },
): void {
  const auth = adminAuth(deps.config.admin.token);
  const find = (id: string) => {
    const dest = deps.destinations.get(id);
    if (!dest) throw new ApiError(404, 'NOT_FOUND', `no destination "${id}" is configured`);
    return dest;
  };

  router.post('/v1/destinations/:id/test', auth, parseBody, async (ctx) => {
    const dest = find(ctx.params.id as string);
    const parsed = testBody.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'INVALID_REQUEST', 'invalid test request', zodDetails(parsed.error.issues));
    const now = deps.now();
    const conversion = syntheticConversion(now, parsed.data);
    const delivery = {
      id: newId(),
      conversionId: conversion.id,
      destinationId: dest.config.id,
      connector: dest.connector.id,
      dedupKey: `test-${conversion.id}`,
      status: 'pending' as const,
      attempts: 0,
      maxAttempts: 1,
      nextAttemptAt: now,
      leaseOwner: 'test',
      leaseUntil: null,
      lastError: null,
      lastKind: null,
      identifiersSent: null,
      createdAt: now,
      updatedAt: now,
    };
    const [result] = await attemptBatch(dest, [{ delivery, conversion }], 'test', {
      http: deps.http,
      now: deps.now,
      backoff: deps.config.delivery.backoff,
      test: true,
    });
    const attempt = attemptView({ ...(result as NonNullable<typeof result>).attempt, id: 'test', deliveryId: delivery.id });
    ctx.body = { destination: dest.config.id, connector: dest.connector.id, ok: attempt.outcome === 'succeeded', ...attempt };
  });

  router.post('/v1/destinations/:id/verify', auth, async (ctx) => {
    const dest = find(ctx.params.id as string);
    if (!dest.connector.verify) {
      ctx.body = { destination: dest.config.id, supported: false, ok: null, message: `${dest.connector.displayName} has no cheap credential check; use /test` };
      return;
    }
    try {
      await dest.connector.verify(
        { http: deps.http, timeoutMs: dest.connector.limits.timeoutMs },
        { destinationId: dest.config.id, settings: dest.settings, credentials: dest.credentials, now: deps.now(), test: true },
      );
      ctx.body = { destination: dest.config.id, supported: true, ok: true };
    } catch (err) {
      const e = toDeliveryError(err);
      ctx.body = { destination: dest.config.id, supported: true, ok: false, failure: { kind: e.kind, message: redactText(e.message, dest.secrets) } };
    }
  });
}
