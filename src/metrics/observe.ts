import type { Context, Next } from 'koa';
import type { Config } from '../config';
import { decodeFormComponent } from '../http/form-decode';
import { newId } from '../ids';
import { type Logger, unfencedTwin } from '../logger';
import type { Metrics } from './metrics';
import type { Tally } from './tally';

/** Query parameters whose values never reach a log line: credentials and personal data. */
const HIDDEN_PARAMS = [
  'key',
  'token',
  'secret',
  'password',
  'passwd',
  'access_token',
  'api_key',
  'apikey',
  'auth',
  'authorization',
  'client_secret',
  'signature',
  'sig',
  'verification_token',
  'email',
  'phone',
  'ip',
  'user_ip',
  'ua',
  'user_agent',
  'fn',
  'ln',
  'first_name',
  'last_name',
];
const POSTBACK_ROUTES = new Set(['/postback', '/postback/:source']);
/** A caller's X-Request-Id is kept when it looks like an id; anything else gets a fresh one. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * `a=1&key=s3cr3t` → `a=1&key=[redacted]`; names are compared decoded and case-insensitively. One
 * pass over the string, decoding only a name that has an escape: it runs on every request.
 */
export function redactQuery(query: string, hidden: ReadonlySet<string>): string {
  let out = '';
  let copied = 0;
  let start = 0;
  while (start < query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    const eq = query.indexOf('=', start);
    if (eq !== -1 && eq < end && hidden.has(paramName(query.slice(start, eq)))) {
      out += `${query.slice(copied, eq + 1)}[redacted]`;
      copied = end;
    }
    start = end + 1;
  }
  return copied === 0 ? query : out + query.slice(copied);
}

/** A malformed escape: the raw name is compared. */
const paramName = (raw: string): string => decodeFormComponent(raw).toLowerCase();

/** What observe records of one answered request (Koa's context, or the hot listener: src/http/hot-path.ts). */
export interface Answered {
  method: string;
  /** The raw path and query string, as Koa's ctx.path / ctx.querystring give them. */
  path: string;
  querystring: string;
  /** The route pattern matched, `(unmatched)` when none. */
  route: string;
  status: number;
  requestId: string;
  /** The JSON body sent (a postback's answer or the error body). */
  body: unknown;
  /** `/postback/:source`'s parameter, decoded. */
  source: string | undefined;
  /** performance.now() when the request came in. */
  started: number;
}

/**
 * The request id, access line, HTTP metrics and postback intake line of every request, in ONE
 * place for Koa's middleware below and the hot listener (src/http/hot-path.ts), so both paths
 * log and count the same way.
 */
export function createObserver(deps: { config: Config; logger: Logger; metrics: Metrics; tally: Tally }) {
  const hidden = new Set([...HIDDEN_PARAMS, ...deps.config.sources.map((s) => s.params.key.toLowerCase())]);
  const { metrics, tally } = deps;
  // Every field of these lines is built here from safe values (the query redacted above, ids,
  // the route pattern, counts): the redaction fence would find nothing to cut (logger.ts).
  const logger = unfencedTwin(deps.logger);

  /** The caller's X-Request-Id when it looks like an id, else a new one. */
  const requestId = (given: string | undefined): string => (given && REQUEST_ID.test(given) ? given : newId());

  function answered(a: Answered): void {
    const seconds = (performance.now() - a.started) / 1000;
    metrics.request(a.method, a.route, a.status, seconds);
    const url = a.querystring ? `${a.path}?${redactQuery(a.querystring, hidden)}` : a.path;
    logger.info({ reqId: a.requestId, method: a.method, url, route: a.route, status: a.status, ms: Math.round(seconds * 10_000) / 10 }, 'request');
    if (POSTBACK_ROUTES.has(a.route)) intake(a);
  }

  function intake(a: Answered): void {
    const body = a.body as Record<string, unknown> | undefined;
    const line: Record<string, unknown> = { reqId: a.requestId, source: a.source };
    if (a.status === 200 && body && typeof body.conversion_id === 'string') {
      const outcome = body.duplicate ? 'duplicate' : 'accepted';
      metrics.postback(outcome);
      if (body.duplicate) tally.add('postback.duplicate');
      if (body.updated) tally.add('postback.updated');
      const warnings = Array.isArray(body.warnings) ? body.warnings.length : 0;
      logger.info(
        {
          ...line,
          outcome,
          updated: body.updated,
          conversion: body.conversion_id,
          matched: body.matched,
          status: body.status,
          deliveries: Array.isArray(body.deliveries) ? body.deliveries.length : 0,
          warnings,
        },
        'postback',
      );
      return;
    }
    const error = (body?.error ?? {}) as { code?: unknown };
    const code = typeof error.code === 'string' ? error.code : `HTTP_${a.status}`;
    metrics.postback('rejected', code);
    // The code only: some messages quote what was refused (the caller's address for IP_NOT_ALLOWED).
    logger.info({ ...line, outcome: 'rejected', httpStatus: a.status, code }, 'postback');
  }

  return { requestId, answered };
}
export type Observer = ReturnType<typeof createObserver>;

/**
 * The outermost middleware: a request id (the caller's `X-Request-Id` or a new one, echoed), one
 * access log line per request with credentials and personal data cut out of the query, HTTP
 * metrics by route pattern, and for postbacks an intake line and the outcome counters. It sits
 * outside the error handler, so it sees the status and body the client gets.
 */
export function observe(observer: Observer) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = performance.now();
    const requestId = observer.requestId(ctx.get('x-request-id'));
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      observer.answered({
        method: ctx.method,
        path: ctx.path,
        querystring: ctx.querystring,
        route: String((ctx as Context & { _matchedRoute?: string })._matchedRoute ?? '(unmatched)'),
        status: ctx.status,
        requestId,
        body: ctx.body,
        source: ctx.params?.source,
        started,
      });
    }
  };
}
