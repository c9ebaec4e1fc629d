import { createHash, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import type { Config } from '../config';
import { consoleSessions, CSRF_COOKIE, SESSION_COOKIE, SESSION_MS } from './admin-auth';
import { bodyRecord, parseBody } from './body';
import { signInThrottle } from './sign-in-throttle';

const signIn = z.object({ token: z.string().min(1, 'is required').max(1024) }).strict();
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The console's sign-in: the admin token is exchanged for an httpOnly, SameSite=Strict session
 * cookie and a readable CSRF cookie (admin-auth.ts). Secure when the request came over TLS or
 * the public URL is https (behind a TLS-terminating proxy).
 */
export function sessionRoutes(router: Router, deps: { config: Config; ip: (ctx: Context) => string | null; now: () => number }): void {
  const sessions = consoleSessions(deps.config.admin.token);
  const throttle = signInThrottle();
  const expected = digest(deps.config.admin.token);
  const secureCookies = (ctx: Context) => {
    const secure = ctx.secure || (deps.config.server.publicUrl ?? '').startsWith('https:');
    // `cookies` refuses a Secure cookie on a plain connection unless told it is secure.
    if (secure) ctx.cookies.secure = true;
    return secure;
  };
  const clear = (ctx: Context) => {
    const secure = secureCookies(ctx);
    for (const name of [SESSION_COOKIE, CSRF_COOKIE])
      ctx.cookies.set(name, '', { path: '/', maxAge: 0, secure, sameSite: 'strict', httpOnly: name === SESSION_COOKIE, overwrite: true });
  };

  router.post('/v1/session', parseBody, async (ctx) => {
    const from = deps.ip(ctx) ?? 'unknown';
    const wait = throttle.blockedFor(from, deps.now());
    if (wait > 0) {
      ctx.set('Retry-After', String(wait));
      throw new ApiError(429, 'TOO_MANY_SIGN_INS', `too many wrong tokens from this address; try again in ${wait} s`);
    }
    const r = signIn.safeParse(bodyRecord(ctx.request.body));
    if (!r.success) throw new ApiError(400, 'INVALID_REQUEST', 'send {"token": "<admin token>"}', zodDetails(r.error.issues));
    if (!timingSafeEqual(digest(r.data.token), expected)) {
      throttle.failed(from, deps.now());
      throw new ApiError(401, 'UNAUTHORIZED', 'that is not the admin token (admin.token in the config)');
    }
    throttle.succeeded(from);
    const s = sessions.issue();
    const secure = secureCookies(ctx);
    const common = { path: '/', maxAge: SESSION_MS, secure, sameSite: 'strict' as const, overwrite: true };
    ctx.cookies.set(SESSION_COOKIE, s.cookie, { ...common, httpOnly: true });
    ctx.cookies.set(CSRF_COOKIE, s.csrf, { ...common, httpOnly: false });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });

  router.get('/v1/session', async (ctx) => {
    const s = sessions.read(ctx.cookies.get(SESSION_COOKIE));
    if (!s) throw new ApiError(401, 'UNAUTHORIZED', 'not signed in');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { signed_in: true, expires_at: s.expiresAt };
  });

  router.delete('/v1/session', async (ctx) => {
    const s = sessions.read(ctx.cookies.get(SESSION_COOKIE));
    if (s) {
      if (!sessions.csrfOk(ctx, s)) throw new ApiError(403, 'CSRF', `signing out needs the ${CSRF_COOKIE} cookie's value in the X-CSRF-Token header`);
      sessions.revoke(s);
    }
    clear(ctx);
    ctx.status = 204;
  });
}
