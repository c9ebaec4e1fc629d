import { Agent, request } from 'undici';
import { DeliveryError } from './delivery-error';
import type { HttpClient, PlatformRequest, PlatformResponse, SendOptions } from './http-types';

export interface UndiciHttpClientOptions {
  /** Bytes of response body kept; the rest is discarded unread. */
  captureBytes?: number;
  /** Keep-alive sockets per origin. */
  connections?: number;
  userAgent?: string;
}

/**
 * HttpClient on undici with one keep-alive pool per origin. Chosen over axios for the delivery
 * hot path: on this kind of machine axios spends 5–6× the CPU per request (DESIGN.md, and
 * `npm run bench` measures it again).
 */
export function createHttpClient(options: UndiciHttpClientOptions = {}): HttpClient {
  const captureBytes = options.captureBytes ?? 64 * 1024;
  const agent = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 10_000, pipelining: 1 });
  const userAgent = options.userAgent ?? 'closeloop/0.1';

  async function send(req: PlatformRequest, opts: SendOptions): Promise<PlatformResponse> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const headers: Record<string, string> = { 'user-agent': userAgent, ...lowerKeys(req.headers) };
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        body: req.body,
        dispatcher: agent,
        signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      const body = await readCapped(res.body, captureBytes);
      return {
        status: res.statusCode,
        headers: flattenHeaders(res.headers),
        body,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      throw networkError(err, timeout.aborted, opts.timeoutMs);
    }
  }

  return { send, close: () => agent.close() };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) {
      chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function networkError(err: unknown, timedOut: boolean, timeoutMs: number): DeliveryError {
  const e = err as { code?: string; message?: string; name?: string };
  if (timedOut || e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') {
    return new DeliveryError('transient', `no response within ${timeoutMs} ms`, { platformCode: 'TIMEOUT', cause: err });
  }
  const code = e.code ?? e.name ?? 'NETWORK';
  return new DeliveryError('transient', `network error ${code}: ${e.message ?? ''}`.trim(), { platformCode: code, cause: err });
}
