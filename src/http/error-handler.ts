import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import { DependencyUnavailableError, isStorageFailure, StorageUnavailableError } from '../health/unavailable';
import type { Logger } from '../logger';

/** Maps every thrown error to the JSON error body; nothing escapes to Koa's default text handler. */
export function errorHandler(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError(404, 'NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      }
      // The router's allowedMethods answers these without a body (its `Allow` header stays set).
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
        throw new ApiError(ctx.status, ctx.status === 405 ? 'METHOD_NOT_ALLOWED' : 'NOT_IMPLEMENTED', `${ctx.method} is not served on ${ctx.path}`);
      }
    } catch (err) {
      const answer = errorAnswer(err, logger, ctx.path);
      if (answer.retryAfterS !== undefined) ctx.set('Retry-After', String(answer.retryAfterS));
      ctx.status = answer.status;
      ctx.type = 'application/json';
      ctx.body = answer.body;
    }
  };
}

/**
 * What a thrown error answers (status, JSON body, Retry-After), logged when it is ours to log: the
 * one mapping of the middleware above and of the hot listener (hot-path.ts).
 */
export function errorAnswer(err: unknown, logger: Logger, path: string): { status: number; body: ReturnType<ApiError['toJSON']>; retryAfterS?: number } {
  const apiError = toApiError(err);
  // A failing dependency is counted and logged once per episode by its monitor (src/health).
  if (apiError.status >= 500 && !(err instanceof DependencyUnavailableError)) logger.error({ err, path }, 'request failed');
  const body = apiError.toJSON();
  return apiError instanceof DependencyUnavailableError
    ? { status: apiError.status, body, retryAfterS: apiError.retryAfterS }
    : { status: apiError.status, body };
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // A read the disk failed (the writes are already StorageUnavailableError, from the group commit).
  if (isStorageFailure(err)) return new StorageUnavailableError(err);
  if (err instanceof ZodError) return new ApiError(400, 'INVALID_REQUEST', 'the request is invalid', zodDetails(err.issues));
  const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string };
  const status = e.status ?? e.statusCode;
  if (status === 413 || e.type === 'entity.too.large') return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
  if (status === 415) return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON or form data');
  if (status && status >= 400 && status < 500) {
    return new ApiError(status, 'BAD_REQUEST', e.expose && e.message ? e.message : 'the request could not be parsed');
  }
  return new ApiError(500, 'INTERNAL', 'internal error');
}
