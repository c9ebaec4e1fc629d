import type Router from '@koa/router';
import { z } from 'zod';
import { adminAuth } from '../http/admin-auth';
import { bodyRecord, parseBody } from '../http/body';
import type { NetworkEntities } from './entities';
import { offerInput, partnerInput, postbackInput } from './inputs';
import { POSTBACK_STATUSES } from './model';
import { intId, notFound, parseWith } from './route-helpers';
import { trackingRoutes } from './routes-tracking';
import type { NetworkTracking } from './tracking';
import type { networkTools } from './tools';
import { enableInput, testInput } from './tracking-inputs';
import { offerView, partnerView, postbackView } from './views';

export interface NetworkRouteDeps {
  adminToken: string;
  entities: NetworkEntities;
  tracking: NetworkTracking;
  tools: ReturnType<typeof networkTools>;
  now: () => number;
}

const listFilter = z.object({
  offer_id: z.coerce.number().int().min(1).optional(),
  partner_id: z.coerce.number().int().min(1).optional(),
  status: z.enum(POSTBACK_STATUSES).optional(),
});

/** /v1/network/… (admin bearer token) and the advertiser S2S postback on GET /. */
export function networkRoutes(router: Router, deps: NetworkRouteDeps): void {
  const auth = adminAuth(deps.adminToken);
  const { entities } = deps;
  const body = (ctx: { request: { body?: unknown } }) => bodyRecord(ctx.request.body);

  router.get('/v1/network/offers', auth, async (ctx) => {
    ctx.body = { offers: (await entities.listOffers()).map(offerView) };
  });
  router.post('/v1/network/offers', auth, parseBody, async (ctx) => {
    const offer = await entities.createOffer(parseWith(offerInput, body(ctx), 'INVALID_OFFER', 'offer'));
    ctx.status = 201;
    ctx.body = offerView(offer);
  });
  router.get('/v1/network/offers/:id', auth, async (ctx) => {
    const id = intId(ctx.params.id, 'offer');
    ctx.body = offerView(notFound(await entities.getOffer(id), 'offer', id));
  });
  router.put('/v1/network/offers/:id', auth, parseBody, async (ctx) => {
    const id = intId(ctx.params.id, 'offer');
    ctx.body = offerView(notFound(await entities.replaceOffer(id, parseWith(offerInput, body(ctx), 'INVALID_OFFER', 'offer')), 'offer', id));
  });

  router.get('/v1/network/partners', auth, async (ctx) => {
    ctx.body = { partners: (await entities.listPartners()).map(partnerView) };
  });
  router.post('/v1/network/partners', auth, parseBody, async (ctx) => {
    const partner = await entities.createPartner(parseWith(partnerInput, body(ctx), 'INVALID_PARTNER', 'partner'));
    ctx.status = 201;
    ctx.body = partnerView(partner);
  });
  router.get('/v1/network/partners/:id', auth, async (ctx) => {
    const id = intId(ctx.params.id, 'partner');
    ctx.body = partnerView(notFound(await entities.getPartner(id), 'partner', id));
  });
  router.put('/v1/network/partners/:id', auth, parseBody, async (ctx) => {
    const id = intId(ctx.params.id, 'partner');
    ctx.body = partnerView(notFound(await entities.replacePartner(id, parseWith(partnerInput, body(ctx), 'INVALID_PARTNER', 'partner')), 'partner', id));
  });

  router.get('/v1/network/postbacks', auth, async (ctx) => {
    const q = parseWith(listFilter, ctx.query, 'INVALID_REQUEST', 'query');
    ctx.body = { postbacks: (await entities.listPostbacks({ offerId: q.offer_id, partnerId: q.partner_id, status: q.status })).map(postbackView) };
  });
  router.post('/v1/network/postbacks', auth, parseBody, async (ctx) => {
    const postback = await entities.createPostback(parseWith(postbackInput, body(ctx), 'INVALID_POSTBACK', 'postback'));
    ctx.status = 201;
    ctx.body = postbackView(postback);
  });
  router.get('/v1/network/postbacks/:id', auth, async (ctx) => {
    const id = intId(ctx.params.id, 'postback');
    const p = await entities.getPostback(id);
    ctx.body = postbackView(notFound(p && p.status !== 'deleted' ? p : null, 'postback', id));
  });
  // everflow.md §1.1: PUT is a full replacement — omitted fields fall back to their defaults.
  router.put('/v1/network/postbacks/:id', auth, parseBody, async (ctx) => {
    const id = intId(ctx.params.id, 'postback');
    const input = parseWith(postbackInput, body(ctx), 'INVALID_POSTBACK', 'postback');
    ctx.body = postbackView(notFound(await entities.replacePostback(id, input), 'postback', id));
  });
  router.delete('/v1/network/postbacks/:id', auth, async (ctx) => {
    const id = intId(ctx.params.id, 'postback');
    notFound(await entities.deletePostback(id), 'postback', id);
    ctx.status = 204;
  });
  // Seed 001: re-enable is manual; what was skipped meanwhile can be replayed with it.
  router.post('/v1/network/postbacks/:id/enable', auth, parseBody, async (ctx) => {
    const id = intId(ctx.params.id, 'postback');
    const input = parseWith(enableInput, body(ctx), 'INVALID_REQUEST', 'request');
    const result = notFound(await entities.enablePostback(id, input.replay_skipped), 'postback', id);
    ctx.body = { postback: postbackView(result.postback), replayed: result.replayed };
  });
  router.post('/v1/network/postbacks/:id/test', auth, parseBody, async (ctx) => {
    const id = intId(ctx.params.id, 'postback');
    const input = parseWith(testInput, body(ctx), 'INVALID_REQUEST', 'request');
    ctx.body = await deps.tools.test(id, input.params);
  });

  trackingRoutes(router, { auth, tracking: deps.tracking, tools: deps.tools, now: deps.now });
}
