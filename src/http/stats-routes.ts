import type Router from '@koa/router';
import { z } from 'zod';
import type { Config } from '../config';
import type { DestinationDirectory } from '../delivery/destinations';
import type { Tally } from '../metrics/tally';
import type { DeliveryStatus, Ledger } from '../store/ledger';
import { adminAuth } from './admin-auth';
import { parseBody } from './body';
import { instantText, parse } from './query';

const HOUR = 3_600_000;
/** 24 h in hourly points, 7 d in 6-hourly ones: 24 and 28 points per destination. */
const WINDOWS = { '24h': { ms: 24 * HOUR, bucketMs: HOUR }, '7d': { ms: 7 * 24 * HOUR, bucketMs: 6 * HOUR } } as const;
const statsQuery = z.object({ window: z.enum(['24h', '7d']).default('24h') }).strict();
const STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'dead', 'cancelled', 'skipped'];
/** One bulk retry changes at most this many deliveries; the answer says how many, call again for more. */
export const BULK_RETRY_LIMIT = 10_000;
const bulkRetryBody = z
  .object({
    status: z.literal('dead'),
    destination: z.string().min(1).max(64).optional(),
    since: z.union([z.number().int().min(0), instantText]).optional(),
    ids: z
      .array(z.string().regex(/^[0-9a-f]{32}$/, 'ids are 32 lowercase hex characters'))
      .min(1)
      .max(1000)
      .optional(),
  })
  .strict();

const ratio = (part: number, whole: number, scale: number) => (whole > 0 ? Math.round((part / whole) * scale * 1000) / 1000 : null);

/** The console's overview (GET /v1/stats) and the outbox's bulk retry. */
export function statsRoutes(
  router: Router,
  deps: {
    config: Config;
    ledger: Ledger;
    destinations: DestinationDirectory;
    tally: Tally;
    onRetry: () => void;
    now: () => number;
  },
): void {
  const { ledger, now } = deps;
  const auth = adminAuth(deps.config.admin.token);

  router.get('/v1/stats', auth, async (ctx) => {
    const { window } = parse(statsQuery, ctx.query);
    const { ms, bucketMs } = WINDOWS[window];
    const to = now();
    const from = to - ms;
    // This process's counts since the last periodic flush, so the answer includes them.
    await deps.tally.flush();
    const [s, outbox] = [await ledger.windowStats(from, to, bucketMs), await ledger.outboxStats()];
    const rejected = Object.values(s.rejectedByCode).reduce((a, b) => a + b, 0);
    const accepted = s.conversions + (s.counts['postback.updated'] ?? 0);
    const duplicate = s.counts['postback.duplicate'] ?? 0;

    const byDestination = new Map<string, Record<DeliveryStatus, number>>();
    const row = (id: string) => {
      let r = byDestination.get(id);
      if (!r) byDestination.set(id, (r = { pending: 0, succeeded: 0, dead: 0, cancelled: 0, skipped: 0 }));
      return r;
    };
    for (const d of deps.config.destinations) row(d.id);
    for (const d of s.deliveries) row(d.destinationId)[d.status] += d.n;
    for (const p of s.series) row(p.destinationId);
    const totals = Object.fromEntries(STATUSES.map((st) => [st, [...byDestination.values()].reduce((a, r) => a + r[st], 0)])) as Record<DeliveryStatus, number>;

    const points = new Map(s.series.map((p) => [`${p.destinationId}\u0000${p.bucket}`, p]));
    const buckets = Math.ceil(ms / bucketMs);
    ctx.body = {
      window,
      from,
      to,
      bucket_ms: bucketMs,
      clicks: s.counts.click ?? 0,
      postbacks: { received: accepted + duplicate + rejected, accepted, duplicate, rejected },
      matched_pct: ratio(s.matched, s.conversions, 100),
      rejected_by_code: s.rejectedByCode,
      deliveries: [...byDestination].map(([destination, r]) => ({ destination, ...r })),
      failure_rate: ratio(totals.dead, totals.dead + totals.succeeded, 1),
      outbox: { depth: outbox.depth, oldest_pending_age_ms: outbox.oldestPendingAt === null ? null : Math.max(0, to - outbox.oldestPendingAt) },
      series: [...byDestination.keys()].flatMap((destination) =>
        Array.from({ length: buckets }, (_, i) => {
          const p = points.get(`${destination}\u0000${i}`);
          return { t: from + i * bucketMs, destination, conversions: p?.conversions ?? 0, failures: p?.failures ?? 0 };
        }),
      ),
    };
  });

  router.post('/v1/deliveries/retry', auth, parseBody, async (ctx) => {
    const body = parse(bulkRetryBody, ctx.request.body ?? {});
    const rows = await ledger.listDeliveries({
      status: 'dead',
      limit: BULK_RETRY_LIMIT,
      ...(body.destination ? { destinationId: body.destination } : {}),
      ...(body.since !== undefined ? { updatedSince: body.since } : {}),
      ...(body.ids ? { ids: body.ids } : {}),
    });
    // The same fresh budget as POST /v1/deliveries/:id/retry: the destination's maxAttempts, else the default.
    const budget = (destinationId: string) => deps.destinations.get(destinationId)?.config.maxAttempts ?? deps.config.delivery.maxAttempts;
    const retried = await ledger.retryDeadDeliveries(
      rows.map((r) => ({ id: r.id, extraAttempts: budget(r.destinationId) })),
      now(),
    );
    if (retried.length > 0) deps.onRetry();
    ctx.status = 202;
    ctx.body = { retried: retried.length, ids: retried.map((r) => r.id) };
  });
}
