import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { bodyRecord, parseBody } from '../http/body';
import { hexId, parseWith } from './route-helpers';
import type { networkTools } from './tools';
import type { NetworkTracking } from './tracking';
import { clickInput, conversionInput, REPORT_STATUS, reportQuery, s2sInput, statusInput } from './tracking-inputs';
import { clickView, conversionView, deliveriesView, pixelsView } from './views';

const DAY = 86_400_000;

/** Clicks, conversions, HTML pixels, the report, and the advertiser S2S postback. */
export function trackingRoutes(
  router: Router,
  deps: { auth: Middleware; tracking: NetworkTracking; tools: ReturnType<typeof networkTools>; now: () => number },
): void {
  const { auth, tracking } = deps;

  router.post('/v1/network/clicks', auth, parseBody, async (ctx) => {
    const result = await tracking.registerClick(parseWith(clickInput, bodyRecord(ctx.request.body), 'INVALID_CLICK', 'click'));
    ctx.status = 201;
    ctx.body = clickView(result.click, result.payable, result.deliveries);
  });

  router.post('/v1/network/conversions', auth, parseBody, async (ctx) => {
    const r = await tracking.registerConversion(parseWith(conversionInput, bodyRecord(ctx.request.body), 'INVALID_CONVERSION', 'conversion'));
    ctx.status = 201;
    ctx.body = { ...conversionView(r.conversion), deliveries: deliveriesView(r.deliveries), ...pixelsView(r.pixels) };
  });
  router.get('/v1/network/conversions/:id', auth, async (ctx) => {
    const r = await tracking.getConversion(hexId(ctx.params.id, 'conversion'));
    ctx.body = { ...conversionView(r.conversion), deliveries: deliveriesView(r.deliveries), ...pixelsView(r.pixels) };
  });
  router.patch('/v1/network/conversions/:id', auth, parseBody, async (ctx) => {
    const id = hexId(ctx.params.id, 'conversion');
    const r = await tracking.setStatus(id, parseWith(statusInput, bodyRecord(ctx.request.body), 'INVALID_STATUS', 'status change'));
    ctx.body = { ...conversionView(r.conversion), deliveries: deliveriesView(r.deliveries), ...pixelsView(r.pixels) };
  });
  // HTML pixels for the conversion page (Everflow's SDK injects html_pixel client-side:
  // https://github.com/everflow-io/everflow-sdk, src/sdk.js).
  router.get('/v1/network/conversions/:id/pixels', auth, async (ctx) => {
    const r = await tracking.pixelsOf(hexId(ctx.params.id, 'conversion'));
    const view = pixelsView(r.pixels);
    if (ctx.query.format === 'html') {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = view.html;
      return;
    }
    ctx.body = { conversion_id: r.conversion.id, status: r.conversion.status, ...view };
  });

  router.get('/v1/network/reports/postbacks', auth, async (ctx) => {
    const q = parseWith(reportQuery, ctx.query, 'INVALID_REQUEST', 'report query');
    const to = q.to ?? deps.now() + 1;
    const from = q.from ?? to - 30 * DAY;
    const statuses = REPORT_STATUS[q.status];
    const rows = await deps.tools.report(
      {
        from,
        to,
        offerId: q.offer_id,
        partnerId: q.partner_id,
        postbackId: q.postback_id,
        statuses: statuses ? [...statuses] : undefined,
        limit: q.limit,
        before: q.before,
      },
      q.include === 'attempts',
    );
    const last = rows.at(-1);
    ctx.body = { from, to, rows, next_before: rows.length === q.limit && last ? last.fired_at : null };
  });

  // The advertiser S2S postback (https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls)
  // lives on the root, as Everflow's does. Without
  // `nid` it is not ours: fall through, so GET / stays free for anything else.
  router.get('/', async (ctx, next) => {
    if (ctx.query.nid === undefined) return next();
    const r = await tracking.registerS2s(parseWith(s2sInput, ctx.query, 'INVALID_POSTBACK', 'advertiser postback'));
    ctx.body = {
      conversion_id: r.conversion.id,
      transaction_id: r.conversion.transactionId,
      status: r.conversion.status,
      deliveries: r.deliveries.length,
      ...pixelsView(r.pixels),
    };
  });
}
