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
  await parser(ctx, next);
}

/** The parsed body as a flat record (a JSON array or scalar is refused). */
export function bodyRecord(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'INVALID_BODY', 'the request body must be a JSON object or form data');
  return body as Record<string, unknown>;
}
