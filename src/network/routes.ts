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

const body = (ctx: { request: { body?: unknown } }) => bodyRecord(ctx.request.body);
type Auth = ReturnType<typeof adminAuth>;

/** One entity's collection: its name (singular, as in paths, list keys and messages) and store calls. */
interface EntitySpec<T, S extends z.ZodType> {
  name: 'offer' | 'partner' | 'postback';
  input: S;
  /** Error code for a body that fails `input`. */
  code: string;
  view: (entity: T) => unknown;
  list: (query: unknown) => Promise<T[]>;
  create: (input: z.infer<S>) => Promise<T>;
  get: (id: number) => Promise<T | null>;
  replace: (id: number, input: z.infer<S>) => Promise<T | null>;
}

/**
 * List, create, read and replace: offers, partners and postbacks share this REST shape
 * (PUT is a full replacement, as Everflow's is: https://developers-beta.everflow.io/api-reference/put-affiliatespixel — omitted fields fall
 * back to their defaults).
 */
function entityRoutes<T, S extends z.ZodType>(router: Router, auth: Auth, spec: EntitySpec<T, S>): void {
  const path = `/v1/network/${spec.name}s`;
  const parse = (ctx: { request: { body?: unknown } }) => parseWith(spec.input, body(ctx), spec.code, spec.name);
  router.get(path, auth, async (ctx) => {
    ctx.body = { [`${spec.name}s`]: (await spec.list(ctx.query)).map(spec.view) };
  });
  router.post(path, auth, parseBody, async (ctx) => {
    const entity = await spec.create(parse(ctx));
    ctx.status = 201;
    ctx.body = spec.view(entity);
  });
  router.get(`${path}/:id`, auth, async (ctx) => {
    const id = intId(ctx.params.id, spec.name);
    ctx.body = spec.view(notFound(await spec.get(id), spec.name, id));
  });
  router.put(`${path}/:id`, auth, parseBody, async (ctx) => {
    const id = intId(ctx.params.id, spec.name);
    ctx.body = spec.view(notFound(await spec.replace(id, parse(ctx)), spec.name, id));
  });
}

/** /v1/network/… (admin bearer token) and the advertiser S2S postback on GET /. */
export function networkRoutes(router: Router, deps: NetworkRouteDeps): void {
  const auth = adminAuth(deps.adminToken);
  const { entities } = deps;

  entityRoutes(router, auth, {
    name: 'offer',
    input: offerInput,
    code: 'INVALID_OFFER',
    view: offerView,
    list: () => entities.listOffers(),
    create: entities.createOffer,
    get: entities.getOffer,
    replace: entities.replaceOffer,
  });
  entityRoutes(router, auth, {
    name: 'partner',
    input: partnerInput,
    code: 'INVALID_PARTNER',
    view: partnerView,
    list: () => entities.listPartners(),
    create: entities.createPartner,
    get: entities.getPartner,
    replace: entities.replacePartner,
  });
  entityRoutes(router, auth, {
    name: 'postback',
    input: postbackInput,
    code: 'INVALID_POSTBACK',
    view: postbackView,
    list: (query) => {
      const q = parseWith(listFilter, query, 'INVALID_REQUEST', 'query');
      return entities.listPostbacks({ offerId: q.offer_id, partnerId: q.partner_id, status: q.status });
    },
    create: entities.createPostback,
    // Deleting only marks a postback deleted in the store; to the API it is gone.
    get: async (id) => {
      const p = await entities.getPostback(id);
      return p && p.status !== 'deleted' ? p : null;
    },
    replace: entities.replacePostback,
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
