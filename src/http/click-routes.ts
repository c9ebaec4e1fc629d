import type Router from '@koa/router';
import cors from '@koa/cors';
import type { Context } from 'koa';
import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import { buildClick, clickInputSchema, clickPersonalIndex, parseClickInput, readClickConsent, withClickIdsFromUrl, type ClickFacts } from '../clicks/capture';
import { assertCleanText, printable } from '../text-guard';
import type { ClickRecord } from '../clicks/click';
import type { ClickStore } from '../clicks/click-store';
import { compileOfferUrl, offerTargets } from '../clicks/offer-url';
import { personalKindOf } from '../privacy/identifiers';
import type { Config } from '../config';
import { parseBody, bodyRecord } from './body';

const MAX_HEADER_KEPT = 1024;
const clip = (v: string | undefined, max: number): string | null => (v ? v.slice(0, max) : null);

const registerSchema = clickInputSchema.extend({
  link: z.string().max(64).optional(),
  landing_url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(4096)
    .optional(),
  referrer: z.string().max(4096).optional(),
});

/** The parts of a request a click is built from: Koa's context or the hot listener's request (hot-path.ts). */
export interface ClickRequest {
  ip: string | null;
  /** Headers as Koa's ctx.get gives them ('' when absent; `referer` is `Referrer || Referer`). */
  userAgent: string;
  referrer: string;
  /** A cookie's value as Koa's ctx.cookies.get gives it (unsigned). */
  cookie: (name: string) => string | undefined;
}

/** What the redirect answers: a Koa-encoded redirect (fallback URL, HEAD), or a click to store then its offer URL. */
export type RedirectPlan = { kind: 'redirect'; url: string; noStore: boolean } | { kind: 'click'; click: ClickRecord; target: string };

/** The redirect's logic, without side effects until `save`: Koa's route and the hot listener both run it. */
export interface Redirects {
  plan(linkId: string, query: Record<string, unknown>, head: boolean, req: ClickRequest): RedirectPlan;
  save(click: ClickRecord): Promise<void>;
}

/** `hot`: the router the redirect goes on (app.ts matches it before the others); `router` by default. */
export function clickRoutes(
  router: Router,
  deps: { config: Config; clicks: ClickStore; now: () => number; ip: (ctx: Context) => string | null },
  hot: Router = router,
): Redirects {
  const { config, clicks, now } = deps;
  const links = new Map(config.links.map((l) => [l.id, l]));
  const origins = new Set(config.server.corsOrigins);
  const personal = clickPersonalIndex(config);
  // Each link's offer URL split once, not on every click.
  const offers = new Map(config.links.map((l) => [l.id, compileOfferUrl(l.offerUrl)]));
  // Names seen here are the offer URLs' own and sub1…sub5: a set the config bounds.
  const personalNames = new Map<string, boolean>();
  const isPersonal = (name: string): boolean => {
    let p = personalNames.get(name);
    if (p === undefined) {
      p = personalKindOf(personal, name) !== undefined;
      personalNames.set(name, p);
    }
    return p;
  };

  const facts = (req: ClickRequest, link: string | null, input: ClickFacts['input'], consent?: ClickFacts['consent']): ClickFacts => ({
    link,
    input,
    ip: req.ip,
    userAgent: clip(req.userAgent, MAX_HEADER_KEPT),
    referrer: clip(req.referrer, 4096),
    // Set per route: the offer URL a redirect sends the visitor to, or the page a script reports.
    landingUrl: null,
    cookies: { fbp: req.cookie('_fbp') ?? undefined, fbc: req.cookie('_fbc') ?? undefined },
    consent,
    now: now(),
  });
  const koaRequest = (ctx: Context): ClickRequest => ({
    ip: deps.ip(ctx),
    userAgent: ctx.get('user-agent'),
    referrer: ctx.get('referer'),
    cookie: (name) => ctx.cookies.get(name),
  });

  const redirects: Redirects = {
    plan(linkId, query, head, req) {
      const link = links.get(linkId);
      if (!link) {
        if (config.clicks.fallbackUrl) return { kind: 'redirect', url: config.clicks.fallbackUrl, noStore: false };
        throw new ApiError(404, 'UNKNOWN_LINK', `no link "${printable(linkId)}" is configured`);
      }
      assertCleanText(query);
      const parsed = parseClickInput(query);
      const consent = readClickConsent(query);
      if (!parsed.success || consent.issues.length > 0)
        throw new ApiError(400, 'INVALID_CLICK', 'invalid click parameters', zodDetails([...(parsed.error?.issues ?? []), ...consent.issues]));
      // Link checkers and previews send HEAD: show where the link goes, but it is not a click.
      if (head) return { kind: 'redirect', url: link.offerUrl, noStore: true };
      const click = buildClick(facts(req, link.id, parsed.data, consent.consent), personal);
      const added: Array<[string, string]> = [];
      for (const k in click.subs) added.push([k, click.subs[k] as string]);
      added.push(['sub5', click.id]);
      const { target, landing } = offerTargets(offers.get(link.id) ?? compileOfferUrl(link.offerUrl), added, isPersonal);
      // The page of the conversion is the advertiser's offer page the visitor lands on, not our
      // /c/<link> URL: Meta checks event_source_url against the verified domain
      // (developers.facebook.com/docs/marketing-api/conversions-api/parameters/server-event#event-source-url),
      // TikTok reads page.url, Reddit v3 event_source_url. Personal parameters are stripped as for
      // any URL we keep (`landing` is stripPersonalQuery's answer for the target). The record is
      // ours, fresh from buildClick: set in place, its fields keep their order in the stored JSON.
      click.landingUrl = landing.slice(0, 4096);
      return { kind: 'click', click, target };
    },
    save: (click) => clicks.save(click),
  };

  // The redirect link an ad points at: store the click, send the visitor on with sub5 = click id.
  hot.get('/c/:link', async (ctx) => {
    const plan = redirects.plan(String(ctx.params.link), ctx.query, ctx.method === 'HEAD', koaRequest(ctx));
    if (plan.kind === 'redirect') {
      if (plan.noStore) ctx.set('Cache-Control', 'no-store');
      return ctx.redirect(plan.url);
    }
    await redirects.save(plan.click);
    ctx.set('Cache-Control', 'no-store');
    redirectExactly(ctx, plan.target);
  });

  // Direct links: a landing-page script registers the click without a redirect.
  const corsMiddleware = cors({
    origin: (ctx) => (origins.has(ctx.get('origin')) ? ctx.get('origin') : ''),
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['content-type'],
    maxAge: 600,
  });
  router.options('/v1/clicks', corsMiddleware);
  router.post('/v1/clicks', corsMiddleware, parseBody, async (ctx) => {
    const origin = ctx.get('origin');
    if (origin && !origins.has(origin)) throw new ApiError(403, 'ORIGIN_NOT_ALLOWED', `origin ${origin} is not in server.corsOrigins`);
    assertCleanText(bodyRecord(ctx.request.body));
    const parsed = registerSchema.safeParse(bodyRecord(ctx.request.body));
    const consent = readClickConsent(bodyRecord(ctx.request.body));
    if (!parsed.success || consent.issues.length > 0)
      throw new ApiError(400, 'INVALID_CLICK', 'invalid click', zodDetails([...(parsed.error?.issues ?? []), ...consent.issues]));
    const { link, landing_url, referrer, ...input } = parsed.data;
    if (link !== undefined && !links.has(link)) throw new ApiError(400, 'UNKNOWN_LINK', `no link "${link}" is configured`);
    // A script that posts only its page URL still gives us the click ids in it (capture.ts).
    const f = facts(koaRequest(ctx), link ?? null, withClickIdsFromUrl(input, landing_url));
    const click = buildClick({ ...f, landingUrl: landing_url ?? null, referrer: referrer ?? f.referrer, consent: consent.consent }, personal);
    await clicks.save(click);
    ctx.status = 201;
    ctx.body = { click_id: click.id, platform: click.platform, fbc: click.fbc };
  });
  return redirects;
}

/** A URL that goes into Location byte for byte: printable ASCII, no space. */
export const isPlainHeaderValue = (url: string): boolean => !/[^\x21-\x7e]/.test(url);

/**
 * Koa's ctx.redirect re-encodes the URL (o'brien → o%27brien), which can break a network's own
 * signed offer links. Send the offer URL byte for byte when it is a valid header value; only a
 * URL with raw non-ASCII characters goes through Koa's encoding.
 */
function redirectExactly(ctx: Context, url: string): void {
  if (!isPlainHeaderValue(url)) {
    ctx.redirect(url);
    return;
  }
  ctx.status = 302;
  ctx.set('Location', url);
  ctx.type = 'text/plain';
  ctx.body = `Redirecting to ${url}`;
}
