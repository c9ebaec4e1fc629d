import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { ApiError } from '../api-error';

export const SESSION_COOKIE = 'closeloop_session';
export const CSRF_COOKIE = 'closeloop_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_MS = 12 * 3_600_000;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Sessions that were signed out before they expired (nonce → expiry). Per process: a
 * signed-out cookie replayed against another gateway process stays valid until it expires.
 */
const revoked = new Map<string, number>();

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface ConsoleSession {
  nonce: string;
  expiresAt: number;
}

/**
 * The console's session cookie: `<expires ms>.<random nonce>.<HMAC>` signed with a key derived
 * from the admin token, so the token itself never sits in a cookie, every process that knows the
 * token accepts the session, and changing the token signs everybody out. The CSRF token is an
 * HMAC of the nonce (OWASP's "signed double-submit cookie":
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html#signed-double-submit-cookie-recommended).
 */
export function consoleSessions(token: string, now: () => number = Date.now) {
  const key = createHmac('sha256', token).update('closeloop console session v1').digest();
  const mac = (s: string) => createHmac('sha256', key).update(s).digest('base64url');
  const csrfOf = (nonce: string) => mac(`csrf.${nonce}`);
  return {
    issue(): ConsoleSession & { cookie: string; csrf: string } {
      const expiresAt = now() + SESSION_MS;
      const nonce = randomBytes(16).toString('hex');
      const payload = `${expiresAt}.${nonce}`;
      return { nonce, expiresAt, cookie: `${payload}.${mac(payload)}`, csrf: csrfOf(nonce) };
    },
    /** The session a cookie value stands for, or null when it is forged, expired or signed out. */
    read(value: string | undefined): ConsoleSession | null {
      const m = /^(\d{1,16})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
      if (!m) return null;
      const [, exp, nonce, sig] = m as unknown as [string, string, string, string];
      if (!sameText(sig, mac(`${exp}.${nonce}`))) return null;
      const expiresAt = Number(exp);
      if (expiresAt <= now() || revoked.has(nonce)) return null;
      return { nonce, expiresAt };
    },
    csrfOf,
    /** A state-changing request made with the cookie must echo the CSRF cookie in X-CSRF-Token. */
    csrfOk(ctx: Context, session: ConsoleSession): boolean {
      const header = ctx.get(CSRF_HEADER);
      const cookie = ctx.cookies.get(CSRF_COOKIE) ?? '';
      return header !== '' && sameText(header, cookie) && sameText(header, csrfOf(session.nonce));
    },
    revoke(session: ConsoleSession): void {
      const t = now();
      for (const [n, exp] of revoked) if (exp <= t) revoked.delete(n);
      revoked.set(session.nonce, session.expiresAt);
    },
  };
}
export type ConsoleSessions = ReturnType<typeof consoleSessions>;

/** The bearer token from the config (compared in constant time), or the console's session cookie. */
export function adminAuth(token: string) {
  const expected = digest(token);
  const sessions = consoleSessions(token);
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('authorization');
    if (header) {
      // RFC 9110 §11.1: the scheme name is case-insensitive.
      const given = /^bearer /i.test(header) ? header.slice(7).trim() : '';
      if (given === '' || !timingSafeEqual(digest(given), expected)) {
        ctx.set('WWW-Authenticate', 'Bearer');
        throw new ApiError(401, 'UNAUTHORIZED', 'the bearer token is not valid');
      }
      await next();
      return;
    }
    const session = sessions.read(ctx.cookies.get(SESSION_COOKIE));
    if (!session) {
      ctx.set('WWW-Authenticate', 'Bearer');
      const message = ctx.cookies.get(SESSION_COOKIE)
        ? 'the console session has expired or was signed out: sign in again'
        : 'send Authorization: Bearer <admin token>, or sign in to the console';
      throw new ApiError(401, 'UNAUTHORIZED', message);
    }
    // A cookie is sent by the browser on its own; a header only by our own script (same origin).
    if (STATE_CHANGING.has(ctx.method) && !sessions.csrfOk(ctx, session)) {
      throw new ApiError(403, 'CSRF', `a console request that changes something must carry the ${CSRF_COOKIE} cookie's value in the X-CSRF-Token header`);
    }
    await next();
  };
}
