import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { ApiError } from '../api-error';
import type { ClickStore } from '../clicks/click-store';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Ledger } from '../store/ledger';
import { adminAuth } from './admin-auth';
import { conversionsCsv } from './conversions-csv';
import { conversionCsvQuery, conversionListQuery, cursorOf, cursorParam, instantText, limitParam, parse, toSearch } from './query';
import { clickView, conversionSummaryView, receivedPostbackView } from './views';

const postbackQuery = z
  .object({
    source: z.string().min(1).max(64).optional(),
    outcome: z.enum(['accepted', 'rejected']).optional(),
    from: instantText.optional(),
    to: instantText.optional(),
    limit: limitParam,
    cursor: cursorParam.optional(),
  })
  .strict();
const clickParams = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'click ids are 32 lowercase hex characters') });

/**
 * The console's reads (issue 8): conversion search and its CSV export, one stored click, and
 * every postback received. Same bearer token as the rest of the admin API.
 */
export function consoleRoutes(router: Router, deps: { config: Config; ledger: Ledger; clicks: ClickStore; logger: Logger }): void {
  const { ledger } = deps;
  const auth = adminAuth(deps.config.admin.token);
  const clickTtlMs = Math.round(deps.config.clicks.attributionWindowDays * 86_400_000);

  router.get('/v1/conversions', auth, async (ctx) => {
    const q = parse(conversionListQuery, ctx.query);
    const rows = await ledger.searchConversions({ ...toSearch(q), limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
    const deliveries = await ledger.deliveriesOfConversions(rows.map((r) => r.conversion.id));
    ctx.body = {
      conversions: rows.map((r) =>
        conversionSummaryView(
          r.conversion,
          r.warnings,
          deliveries.filter((d) => d.conversionId === r.conversion.id),
        ),
      ),
      next_cursor: cursorOf(
        rows.map((r) => r.conversion),
        q.limit,
        (c) => c.receivedAt,
      ),
    };
  });

  router.get('/v1/conversions.csv', auth, async (ctx) => {
    const search = toSearch(parse(conversionCsvQuery, ctx.query));
    const stream = conversionsCsv(ledger, search);
    // Headers are gone once the first row is out: a failure later can only cut the download short.
    stream.on('error', (err) => deps.logger.error({ err, reqId: ctx.state.requestId }, 'CSV export failed mid-stream'));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="conversions.csv"');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = stream;
  });

  router.get('/v1/clicks/:id', auth, async (ctx: Context) => {
    const { id } = parse(clickParams, ctx.params);
    let click: Awaited<ReturnType<ClickStore['get']>>;
    try {
      click = await deps.clicks.get(id);
    } catch (err) {
      deps.logger.error({ err }, 'click store read failed');
      ctx.set('Retry-After', '5');
      throw new ApiError(503, 'CLICK_STORE_UNAVAILABLE', 'the click store did not answer; try again shortly');
    }
    if (!click) throw new ApiError(404, 'NOT_FOUND', `no click ${id} (never stored, or expired after the attribution window)`);
    ctx.body = { ...clickView(click), expires_at: click.createdAt + clickTtlMs };
  });

  router.get('/v1/postbacks', auth, async (ctx) => {
    const q = parse(postbackQuery, ctx.query);
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
      throw new ApiError(400, 'INVALID_REQUEST', 'invalid request parameters', [{ field: 'to', message: 'must be after from' }]);
    }
    const rows = await ledger.listPostbacks({
      limit: q.limit,
      ...(q.source ? { source: q.source } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.cursor ? { after: q.cursor } : {}),
    });
    ctx.body = { postbacks: rows.map(receivedPostbackView), next_cursor: cursorOf(rows, q.limit, (r) => r.receivedAt) };
  });
}
