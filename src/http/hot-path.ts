import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Intake } from '../conversions/intake';
import type { Logger } from '../logger';
import type { Observer } from '../metrics/observe';
import { type ClickRequest, isPlainHeaderValue, type Redirects } from './click-routes';
import { errorAnswer } from './error-handler';
import { decodeFormComponent } from './form-decode';
import { answerPostback } from './postback-routes';

export type HotListener = (req: IncomingMessage, res: ServerResponse) => void;
type Listener = HotListener;

export interface HotPathDeps {
  intake: Intake;
  redirects: Redirects;
  observer: Observer;
  logger: Logger;
  /** The visitor's address from the socket and X-Forwarded-For (app.ts: client-ip.ts's rules). */
  ip: (req: IncomingMessage) => string | null;
}

/**
 * `GET /postback`, `GET /postback/:source` and `GET /c/:link` answered by a plain node:http
 * listener in front of Koa's callback: on these routes Koa's context, middleware chain and
 * `respond` cost more CPU than the rest of the request outside storage (bench/README.md, "Request
 * path (h-http, round 3)"). Everything else, and every rare case of these routes, goes to Koa.
 *
 * Every answer is the one Koa's stack gives: the handlers' logic is shared (answerPostback,
 * Redirects in click-routes.ts), so are the request id, access line, metrics and intake line
 * (createObserver) and the error mapping (errorAnswer); the headers are written as Koa writes
 * them. A request this listener only recognises by a path Koa would match too (`/postback/`,
 * `/C/demo`, HEAD, a URL parseurl reparses) goes to Koa, and so does a click whose answer is a
 * Koa-encoded redirect (fallback URL, non-ASCII offer URL): decided before anything is stored.
 */
export function hotPath(deps: HotPathDeps, koa: Listener): Listener {
  return (req, res) => {
    const url = req.url ?? '';
    // parseurl (Koa's ctx.path) reparses a URL holding any of these; Koa keeps those requests.
    if (req.method !== 'GET' || REPARSED.test(url)) return koa(req, res);
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const querystring = q === -1 ? '' : url.slice(q + 1);
    if (path === '/postback') return guarded(res, postback(req, res, path, querystring, '/postback', undefined));
    if (path.startsWith('/postback/')) {
      const source = segment(path, 10);
      if (source !== null) return guarded(res, postback(req, res, path, querystring, '/postback/:source', source));
    } else if (path.startsWith('/c/')) {
      const link = segment(path, 3);
      if (link !== null) return guarded(res, redirect(req, res, path, querystring, link, koa));
    }
    koa(req, res);
  };

  /** What escapes the handlers' own error mapping (a bug) is a 500, as Koa would make it, never an unhandled rejection. */
  function guarded(res: ServerResponse, answering: Promise<void>): void {
    answering.catch((err: unknown) => {
      deps.logger.error({ err }, 'request failed');
      if (!res.headersSent)
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' }).end('{"error":{"code":"INTERNAL","message":"internal error"}}');
      else res.destroy();
    });
  }

  async function postback(req: IncomingMessage, res: ServerResponse, path: string, querystring: string, route: string, source: string | undefined) {
    const started = performance.now();
    const requestId = deps.observer.requestId(header(req, 'x-request-id'));
    let answer: { status: number; body: unknown; retryAfterS?: number | undefined };
    try {
      answer = { status: 200, body: await answerPostback(deps.intake, { params: parseQuery(querystring), ip: deps.ip(req), sourceId: source }) };
    } catch (err) {
      answer = errorAnswer(err, deps.logger, path);
    }
    deps.observer.answered({ method: 'GET', path, querystring, route, status: answer.status, requestId, body: answer.body, source, started });
    sendJson(res, requestId, answer);
  }

  async function redirect(req: IncomingMessage, res: ServerResponse, path: string, querystring: string, link: string, koa: Listener) {
    let plan: ReturnType<Redirects['plan']>;
    try {
      plan = deps.redirects.plan(link, parseQuery(querystring), false, clickRequest(req, deps.ip(req)));
    } catch {
      // A refused click (unknown link, bad parameters): nothing is stored yet, Koa answers it.
      return koa(req, res);
    }
    if (plan.kind !== 'click' || !isPlainHeaderValue(plan.target)) return koa(req, res);
    const started = performance.now();
    const requestId = deps.observer.requestId(header(req, 'x-request-id'));
    try {
      await deps.redirects.save(plan.click);
    } catch (err) {
      const answer = errorAnswer(err, deps.logger, path);
      deps.observer.answered({
        method: 'GET',
        path,
        querystring,
        route: '/c/:link',
        status: answer.status,
        requestId,
        body: answer.body,
        source: undefined,
        started,
      });
      sendJson(res, requestId, answer);
      return;
    }
    const text = `Redirecting to ${plan.target}`;
    deps.observer.answered({ method: 'GET', path, querystring, route: '/c/:link', status: 302, requestId, body: text, source: undefined, started });
    res
      .writeHead(302, {
        'X-Request-Id': requestId,
        'Cache-Control': 'no-store',
        Location: plan.target,
        'Content-Type': 'text/plain; charset=utf-8',
        // isPlainHeaderValue: the target, so the text, is ASCII: one byte a character.
        'Content-Length': text.length,
      })
      .end(text);
  }
}

/** A JSON answer with the headers in the order Koa's stack sets them (observe, error handler, respond). */
function sendJson(res: ServerResponse, requestId: string, answer: { status: number; body: unknown; retryAfterS?: number | undefined }): void {
  const text = JSON.stringify(answer.body);
  const headers: Record<string, string | number> = { 'X-Request-Id': requestId };
  if (answer.retryAfterS !== undefined) headers['Retry-After'] = String(answer.retryAfterS);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(answer.status, headers).end(text);
}

/** Characters after which parseurl falls back to url.parse (github.com/pillarjs/parseurl, fastparse). */
const REPARSED = /[\t\n\f\r #\u00a0\ufeff]/;

/** A route parameter as @koa/router gives it (one non-empty segment, decoded, `+` as a space); null: not this route. */
function segment(path: string, from: number): string | null {
  const raw = path.slice(from);
  return raw === '' || raw.includes('/') ? null : decodeFormComponent(raw);
}

/** Koa's ctx.query (koa/lib/search-params.js): one value as a string, a repeated name as an array. */
export function parseQuery(querystring: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (querystring === '') return out;
  if (PLAIN_QUERY.test(querystring) && querystring.charCodeAt(0) !== 63 && !querystring.includes('__proto__')) return parsePlainQuery(querystring, out);
  const search = new URLSearchParams(querystring);
  for (const key of search.keys()) {
    const values = search.getAll(key);
    out[key] = values.length <= 1 ? values[0] : values;
  }
  return out;
}

/**
 * A query URLSearchParams reads as it stands: printable ASCII without an escape (`%`). parseQuery
 * also leaves to URLSearchParams a leading `?` (which it drops) and a `__proto__` (assigned as
 * below, it sets the prototype: the same quirk both ways).
 */
const PLAIN_QUERY = /^[\x21-\x24\x26-\x7e]*$/;

/**
 * parseQuery's answer for a PLAIN_QUERY string without URLSearchParams (whose getAll per name
 * walks every pair again): `&`-separated, empty pairs skipped, the first `=` splits, `+` is a space.
 */
function parsePlainQuery(querystring: string, out: Record<string, unknown>): Record<string, unknown> {
  let start = 0;
  while (start <= querystring.length) {
    let end = querystring.indexOf('&', start);
    if (end === -1) end = querystring.length;
    if (end > start) {
      const eq = querystring.indexOf('=', start);
      const name = plus(eq === -1 || eq > end ? querystring.slice(start, end) : querystring.slice(start, eq));
      const value = eq === -1 || eq > end ? '' : plus(querystring.slice(eq + 1, end));
      if (!Object.hasOwn(out, name)) out[name] = value;
      else {
        const prev = out[name];
        if (Array.isArray(prev)) prev.push(value);
        else out[name] = [prev, value];
      }
    }
    start = end + 1;
  }
  return out;
}
const plus = (s: string): string => (s.includes('+') ? s.replace(/\+/g, ' ') : s);

/** Koa's ctx.get: '' when absent. */
const header = (req: IncomingMessage, name: string): string => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : '';
};

/** A click's request parts as Koa reads them: ctx.get, and ctx.cookies.get without keys (github.com/pillarjs/cookies, `get`: same pattern, quotes stripped). */
function clickRequest(req: IncomingMessage, ip: string | null): ClickRequest {
  return new HotClickRequest(ip, header(req, 'user-agent'), header(req, 'referrer') || header(req, 'referer'), req.headers.cookie);
}

/** A class, not an object literal with a closure: nothing is made per request but the object. */
class HotClickRequest implements ClickRequest {
  constructor(
    readonly ip: string | null,
    readonly userAgent: string,
    readonly referrer: string,
    private readonly cookies: string | undefined,
  ) {}

  cookie(name: string): string | undefined {
    if (!this.cookies) return undefined;
    const match = this.cookies.match(cookiePattern(name));
    if (!match) return undefined;
    const value = match[1] as string;
    return value[0] === '"' ? value.slice(1, -1) : value;
  }
}

const patterns = new Map<string, RegExp>();
function cookiePattern(name: string): RegExp {
  let p = patterns.get(name);
  if (!p) {
    p = new RegExp(`(?:^|;) *${name.replace(/[\^$\\.*+?()[\]{}|]/g, '\\$&')}=([^;]*)`);
    patterns.set(name, p);
  }
  return p;
}
