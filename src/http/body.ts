import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { ApiError } from '../api-error';

const parser = bodyParser({
  enableTypes: ['json', 'form'],
  jsonLimit: '32kb',
  formLimit: '32kb',
  onError: (err) => {
    const e = err as { status?: number; type?: string };
    if (e.status === 413 || e.type === 'entity.too.large') throw new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than 32 kB');
    throw new ApiError(400, 'INVALID_BODY', 'the request body is not valid JSON or form data');
  },
});

/**
 * JSON or form bodies, small: postbacks and click registrations are a few hundred bytes. A body
 * of another type is refused (415) rather than silently ignored.
 */
export async function parseBody(ctx: Context, next: Next): Promise<void> {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  if (hasBody && !ctx.is('json', 'urlencoded')) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json or application/x-www-form-urlencoded');
  }
  await parser(ctx, async () => {
    assertShallow(ctx.request.body);
    await next();
  });
}

/** Deeper than any body we accept (the network API's offer events are 3 levels). */
const MAX_DEPTH = 32;

/**
 * 32 kB of `{"a":` is 6,500 levels: JSON.parse takes it, but every recursive walk after it (the
 * text guard, JSON.stringify of a rejection) overflows the stack. Refused here, with a walk that
 * does not recurse itself. Found by bench/fuzz.ts.
 */
function assertShallow(body: unknown): void {
  let level: unknown[] = [body];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > MAX_DEPTH) throw new ApiError(400, 'INVALID_BODY', `the request body is nested deeper than ${MAX_DEPTH} levels`);
    const next: unknown[] = [];
    for (const v of level) {
      if (v === null || typeof v !== 'object') continue;
      for (const child of Object.values(v)) if (child !== null && typeof child === 'object') next.push(child);
    }
    level = next;
  }
}

/** The parsed body as a flat record (a JSON array or scalar is refused). */
export function bodyRecord(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'INVALID_BODY', 'the request body must be a JSON object or form data');
  return body as Record<string, unknown>;
}
