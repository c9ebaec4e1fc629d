import { z } from 'zod';
import { CliError, EXIT, type CliIo } from './io';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The gateway's error body (src/api-error.ts). */
const apiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

export interface AdminClient {
  call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, answer: T, body?: unknown): Promise<z.infer<T>>;
  base: string;
}

/**
 * The admin API over HTTP: bearer token from CLOSELOOP_ADMIN_TOKEN, every answer checked with zod
 * (a gateway of another version fails loudly instead of printing nonsense). Connection and HTTP
 * errors become CliErrors that say what to do.
 */
export function adminClient(io: CliIo, url: string | undefined): AdminClient {
  const base = (url ?? io.env.CLOSELOOP_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  const token = io.env.CLOSELOOP_ADMIN_TOKEN;
  return {
    base,
    async call(method, path, answer, body) {
      if (!token) throw new CliError("CLOSELOOP_ADMIN_TOKEN is not set: export it with the gateway's admin.token.", EXIT.usage);
      let res: Response;
      try {
        res = await io.fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        const c = (err as { cause?: { code?: string; message?: string } }).cause;
        const cause = c?.code ?? c?.message ?? (err as Error).message;
        throw new CliError(`cannot reach the gateway at ${base} (${cause}). Is it running (npm start)? Pass --url to point elsewhere.`, EXIT.unreachable);
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        throw new CliError(
          `${method} ${path}: the gateway answered ${res.status} with something that is not JSON (is ${base} a Closeloop gateway?)`,
          EXIT.unreachable,
        );
      }
      if (!res.ok) {
        const e = apiErrorSchema.safeParse(json);
        const why = e.success ? `${e.data.error.code}: ${e.data.error.message}` : text.slice(0, 200);
        const hint =
          res.status === 401
            ? ' — check CLOSELOOP_ADMIN_TOKEN'
            : res.status === 404 && !e.success
              ? ' — this gateway does not have that route (older version?)'
              : '';
        throw new CliError(`${method} ${path} answered ${res.status} ${why}${hint}`, EXIT.unreachable);
      }
      const parsed = answer.safeParse(json);
      if (!parsed.success)
        throw new CliError(`${method} ${path}: unexpected answer from the gateway (${parsed.error.issues[0]?.message ?? 'invalid'})`, EXIT.unreachable);
      return parsed.data;
    },
  };
}
