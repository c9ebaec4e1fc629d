import type Router from '@koa/router';
import { z } from 'zod';
import { ApiError } from '../api-error';
import type { Config } from '../config';
import type { DestinationDirectory } from '../delivery/destinations';
import { correctionsView, supportFrom } from '../delivery/adjustments';
import type { AnyConnector } from '../connector-kit/define';
import type { AttemptRow, DeliveryRow, Ledger } from '../store/ledger';
import { adminAuth } from './admin-auth';
import { cursorOf, cursorParam, limitParam, parse } from './query';
import { conversionView, deliveryView, attemptView } from './views';

const listQuery = z
  .object({
    status: z.enum(['pending', 'succeeded', 'dead', 'cancelled']).optional(),
    destination: z.string().max(64).optional(),
    limit: limitParam,
    /** `next_cursor` of the previous page. */
    cursor: cursorParam.optional(),
  })
  .strict();
const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'ids are 32 lowercase hex characters') });
const destinationParams = z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'not a destination id') });
/**
 * Names of the matching signals (click id, fbc, ip, hashed email…, never values) the latest
 * request carried for this delivery: as the engine stored them when it built the request
 * (migration 62), else — a delivery attempted before that — as its connector reads the
 * recorded request; null when nothing was sent or the connector does not say.
 */
function identifiersSent(connector: AnyConnector | undefined, delivery: DeliveryRow, attempts: readonly AttemptRow[]): string[] | null {
  if (delivery.identifiersSent) return delivery.identifiersSent;
  const dedupKey = delivery.dedupKey;
  const last = [...attempts].reverse().find((a) => a.request);
  if (!connector?.identifiersSent || !last?.request) return null;
  try {
    return connector.identifiersSent(last.request, dedupKey);
  } catch {
    return null;
  }
}

export function adminRoutes(
  router: Router,
  deps: { config: Config; ledger: Ledger; destinations: DestinationDirectory; onRetry: () => void; now: () => number },
): void {
  const { ledger, destinations, now } = deps;
  const auth = adminAuth(deps.config.admin.token);
  const support = supportFrom(destinations);

  router.get('/v1/conversions/:id', auth, async (ctx) => {
    const { id } = parse(idParams, ctx.params);
    const conversion = await ledger.getConversion(id);
    if (!conversion) throw new ApiError(404, 'NOT_FOUND', `no conversion ${id}`);
    const deliveries = await ledger.listDeliveriesOf(id);
    const attempts = await ledger.listAttempts(deliveries.map((d) => d.id));
    ctx.body = {
      ...conversionView(conversion),
      warnings: await ledger.conversionWarnings(id),
      // Retractions and restatements queued, and where a rejected conversion still counts (src/delivery/adjustments.ts).
      corrections: correctionsView(conversion, deliveries, support),
      deliveries: deliveries.map((d) => {
        const own = attempts.filter((a) => a.deliveryId === d.id);
        return {
          ...deliveryView(d),
          identifiers_sent: identifiersSent(destinations.get(d.destinationId)?.connector, d, own),
          attempts: own.map(attemptView),
        };
      }),
    };
  });

  router.get('/v1/deliveries', auth, async (ctx) => {
    const q = parse(listQuery, ctx.query);
    const rows: DeliveryRow[] = await ledger.listDeliveries({
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.destination ? { destinationId: q.destination } : {}),
      ...(q.cursor ? { after: q.cursor } : {}),
    });
    ctx.body = { deliveries: rows.map(deliveryView), next_cursor: cursorOf(rows, q.limit, (r) => r.createdAt) };
  });

  router.post('/v1/deliveries/:id/retry', auth, async (ctx) => {
    const { id } = parse(idParams, ctx.params);
    const existing = await ledger.getDelivery(id);
    if (!existing) throw new ApiError(404, 'NOT_FOUND', `no delivery ${id}`);
    const budget = destinations.get(existing.destinationId)?.config.maxAttempts ?? deps.config.delivery.maxAttempts;
    const row = await ledger.retryDelivery(id, now(), budget);
    if (!row) {
      throw new ApiError(
        409,
        'NOT_RETRYABLE',
        existing.status === 'succeeded'
          ? `delivery ${id} has already succeeded`
          : `delivery ${id} is being sent right now; retry after this attempt is recorded`,
      );
    }
    deps.onRetry();
    ctx.status = 202;
    ctx.body = deliveryView(row);
  });

  router.get('/v1/destinations', auth, async (ctx) => {
    const states = new Map((await ledger.destinationStates()).map((s) => [s.destinationId, s]));
    ctx.body = {
      destinations: deps.config.destinations.map((d) => {
        const s = states.get(d.id);
        return {
          id: d.id,
          connector: d.connector,
          enabled: d.enabled,
          paused: s?.paused ?? false,
          paused_reason: s?.pausedReason ?? null,
          paused_at: s?.pausedAt ?? null,
          consecutive_failures: s?.consecutiveFailures ?? 0,
          last_success_at: s?.lastSuccessAt ?? null,
        };
      }),
    };
  });

  router.post('/v1/destinations/:id/resume', auth, async (ctx) => {
    const { id } = parse(destinationParams, ctx.params);
    if (!destinations.get(id)) throw new ApiError(404, 'NOT_FOUND', `no destination "${id}" is configured`);
    const state = await ledger.resumeDestination(id, now());
    deps.onRetry();
    ctx.body = { id, paused: state?.paused ?? false };
  });

  router.get('/v1/rejections', auth, async (ctx) => {
    const q = parse(listQuery.pick({ limit: true, cursor: true }), ctx.query);
    const rows = await ledger.listRejections(q.limit, q.cursor);
    ctx.body = {
      next_cursor: cursorOf(rows, q.limit, (r) => r.receivedAt),
      rejections: rows.map((r) => ({
        id: r.id,
        source: r.source,
        received_at: r.receivedAt,
        http_status: r.httpStatus,
        code: r.code,
        message: r.message,
        params: r.params,
      })),
    };
  });
}
