import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import type { Config, SourceConfig } from '../config';
import type { Intake } from '../conversions/intake';
import { newId } from '../ids';
import { adminAuth } from './admin-auth';
import { parseBody } from './body';
import { intakeAnswer } from './postback-routes';

const sourceParams = z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'not a source id') });
const sampleBody = z
  .object({
    click_id: z.string().min(1).max(512).optional(),
    payout: z.string().max(32).optional(),
    tx_id: z.string().min(1).max(128).optional(),
  })
  .strict();

/** Where networks reach this gateway: server.publicUrl, else the address this request came to. */
export function publicBase(config: Config, ctx: Pick<Context, 'protocol' | 'host'>): string {
  // Koa 3's ctx.origin is the Origin request header, not this server's origin.
  return (config.server.publicUrl ?? `${ctx.protocol}://${ctx.host}`).replace(/\/+$/, '');
}

/**
 * The URL to paste into the network for one source (the generic template of a network's postback guide,
 * https://www.ourdreamaiaffiliate.com/onboarding/postbacks, with this
 * source's parameter names): Everflow fills {sub5} (our click id, put there by the /c redirect),
 * {transaction_id}, {payout} and {offer_id}. The secret is `{secret}` here; GET …/secret shows it.
 */
export function pasteUrl(base: string, source: Pick<SourceConfig, 'id' | 'params'>, secret = '{secret}'): string {
  const p = source.params;
  const q = (name: string, value: string) => `${encodeURIComponent(name)}=${value}`;
  const secretValue = secret === '{secret}' ? secret : encodeURIComponent(secret);
  return `${base}/postback/${encodeURIComponent(source.id)}?${[
    q(p.key, secretValue),
    q(p.clickId, '{sub5}'),
    q(p.transactionId, '{transaction_id}'),
    q(p.payout, '{payout}'),
    q(p.offerId, '{offer_id}'),
  ].join('&')}`;
}

/** Links & sources (CONTRACT.md, h5): what to paste into each network, and a sample postback per source. */
export function sourceRoutes(router: Router, deps: { config: Config; intake: Intake }): void {
  const { config } = deps;
  const auth = adminAuth(config.admin.token);
  const find = (ctx: Context): SourceConfig => {
    const r = sourceParams.safeParse(ctx.params);
    if (!r.success) throw new ApiError(400, 'INVALID_REQUEST', 'invalid source id', zodDetails(r.error.issues));
    const source = config.sources.find((s) => s.id === r.data.id);
    if (!source) throw new ApiError(404, 'NOT_FOUND', `no source "${r.data.id}" is configured`);
    return source;
  };

  router.get('/v1/sources', auth, (ctx) => {
    const base = publicBase(config, ctx);
    ctx.body = {
      sources: config.sources.map((s) => ({
        id: s.id,
        mode: s.mode,
        platform: s.platform ?? null,
        params: {
          click_id: s.params.clickId,
          transaction_id: s.params.transactionId,
          payout: s.params.payout,
          offer_id: s.params.offerId,
          currency: s.params.currency,
          event: s.params.event,
          status: s.params.status,
          platform: s.params.platform,
          key: s.params.key,
          consent_ad_user_data: s.params.consentAdUserData,
          consent_ad_personalization: s.params.consentAdPersonalization,
          limited_data_use: s.params.limitedDataUse,
        },
        postback_url: pasteUrl(base, s),
        forward_statuses: s.forwardStatuses,
        allow_ips: s.allowIps,
      })),
    };
  });

  // The secret only on demand (issue 8: "the secret shown only on demand"); never cached.
  router.get('/v1/sources/:id/secret', auth, (ctx) => {
    const source = find(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { secret: source.secret };
  });

  router.get('/v1/links', auth, (ctx) => {
    const base = publicBase(config, ctx);
    ctx.body = {
      links: config.links.map((l) => ({
        id: l.id,
        offer_url: l.offerUrl,
        description: l.description ?? null,
        click_url: `${base}/c/${encodeURIComponent(l.id)}`,
      })),
    };
  });

  /**
   * A real postback for this source through the real intake, with the source's own secret and
   * parameter names: it is stored and routed like any other (an unknown click id stays unmatched).
   */
  router.post('/v1/sources/:id/sample', auth, parseBody, async (ctx) => {
    const source = find(ctx);
    const body = sampleBody.safeParse(ctx.request.body ?? {});
    if (!body.success) throw new ApiError(400, 'INVALID_REQUEST', 'invalid sample request', zodDetails(body.error.issues));
    const id = newId();
    const p = source.params;
    const params: Record<string, unknown> = {
      [p.key]: source.secret,
      [p.clickId]: body.data.click_id ?? `sample-${id.slice(0, 16)}`,
      [p.transactionId]: body.data.tx_id ?? `sample-${id}`,
      [p.payout]: body.data.payout ?? '1.00',
    };
    ctx.body = intakeAnswer(await deps.intake.receive({ params, ip: null, sourceId: source.id }));
  });
}
