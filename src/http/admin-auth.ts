import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { ApiError } from '../api-error';

/** Bearer token from the config, compared in constant time. */
export function adminAuth(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('authorization');
    // RFC 9110 §11.1: the scheme name is case-insensitive.
    const given = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    const ok = given !== '' && timingSafeEqual(createHash('sha256').update(given).digest(), expected);
    if (!ok) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new ApiError(401, 'UNAUTHORIZED', header ? 'the bearer token is not valid' : 'send Authorization: Bearer <admin token>');
    }
    await next();
  };
}
