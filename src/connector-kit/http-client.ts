import { setMaxListeners } from 'node:events';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { DeliveryError } from './delivery-error';
import type { HttpClient, PlatformRequest, PlatformResponse, SendOptions } from './http-types';
import { createOutboundGuard, type OutboundGuard } from './outbound-guard';

export interface UndiciHttpClientOptions {
  /** Bytes of response body kept; the rest is discarded unread. */
  captureBytes?: number;
  /** Keep-alive sockets per origin. */
  connections?: number;
  userAgent?: string;
  /**
   * The SSRF guard (outbound-guard.ts). Default: strict — only public addresses; tests and
   * `outbound.allowPrivateTargets` pass one that opens 127.0.0.1.
   */
  guard?: OutboundGuard;
}

const BLOCKED = 'ERR_BLOCKED_TARGET';

/**
 * HttpClient on undici with one keep-alive pool per origin. Chosen over axios for the delivery
 * hot path: on this kind of machine axios spends 5–6× the CPU per request (`npm run bench --
 * http-client` measures it again).
 *
 * It is the only outbound client, so every connector gets the SSRF guard: the check runs at
 * CONNECT time in the socket's `lookup` hook (undici hands `connect` options to net/tls.connect,
 * https://undici.nodejs.org/#/docs/api/Client?id=parameter-connectoptions), so the address
 * checked is the address connected to — no DNS-rebinding window between a check and the
 * connect. An IP-literal host skips `lookup` and is checked before the request. Redirects are
 * never followed (undici's `request` does not), so a 3xx cannot lead past the guard either.
 */
export function createHttpClient(options: UndiciHttpClientOptions = {}): HttpClient {
  const captureBytes = options.captureBytes ?? 64 * 1024;
  const guard = options.guard ?? createOutboundGuard();
  const lookup: LookupFunction = (hostname, opts: LookupOptions, callback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return (callback as (e: Error) => void)(err);
      // ANY refused address refuses the host: happy-eyeballs may pick any of them.
      const bad = addresses.map((a) => guard.refuse(hostname, a.address)).find((r) => r !== null);
      if (bad) return (callback as (e: Error) => void)(Object.assign(new Error(bad), { code: BLOCKED }));
      if (opts.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      return (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
  const agent = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 10_000, pipelining: 1, connect: { lookup } });
  const userAgent = options.userAgent ?? 'closeloop/0.1';
  const deadline = sharedDeadlines();

  async function send(req: PlatformRequest, opts: SendOptions): Promise<PlatformResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      // The same URL fails every time: a person must fix the template (config), not a retry.
      throw new DeliveryError('config', 'not sent: the URL cannot be parsed', { platformCode: 'BAD_URL' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DeliveryError('config', `not sent: ${url.protocol} is not http(s)`, { platformCode: 'BAD_URL' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const refused = guard.refuse(host, host);
      if (refused) throw new DeliveryError('config', `not sent: ${refused}`, { platformCode: 'BLOCKED_TARGET' });
    }
    const started = performance.now();
    const timeout = deadline(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const headers = withUserAgent(req.headers, userAgent);
    try {
      const res = await dispatchRequest(agent, url, req, headers, opts.timeoutMs, signal, captureBytes);
      return { status: res.status, headers: flattenHeaders(res.headers), body: res.body, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      throw networkError(err, timeout.aborted, opts.timeoutMs);
    }
  }

  return { send, close: () => agent.close() };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on undici's dispatcher with a handler of our own, not `undici.request`: that wraps
 * each response in a Readable stream (and an AsyncResource, a signal listener, its callback
 * scope), which a body of a few bytes read whole does not need — CPU per request in
 * bench/README.md "Delivery engine CPU (h-deliver, round 5)". The body is kept up to `limit`
 * bytes, the rest read and dropped. When `signal` aborts, the promise rejects at once with its
 * reason, and the request is aborted where it is (on its socket, or when it leaves the pool's queue).
 */
function dispatchRequest(
  agent: Dispatcher,
  url: URL,
  req: PlatformRequest,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  limit: number,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let controller: Dispatcher.DispatchController | null = null;
    let reason: unknown = null;
    let settled = false;
    let status = 0;
    let resHeaders: RawResponse['headers'] = {};
    let first: Buffer | null = null;
    let rest: Buffer[] | null = null;
    let size = 0;
    const finish = (err: unknown, res?: RawResponse) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (res) resolve(res);
      else reject(err);
    };
    function onAbort() {
      reason = signal.reason;
      controller?.abort(reason as Error);
      finish(reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (reason !== null) c.abort(reason as Error);
      },
      onResponseStart(_c, statusCode, h) {
        // 1xx (100-continue, 103 hints) are followed by the real answer.
        if (statusCode < 200) return;
        status = statusCode;
        resHeaders = h as RawResponse['headers'];
      },
      onResponseData(_c, chunk) {
        if (size < limit) {
          const kept = size + chunk.length > limit ? chunk.subarray(0, limit - size) : chunk;
          if (first === null) first = kept;
          else if (rest === null) rest = [first, kept];
          else rest.push(kept);
        }
        size += chunk.length;
      },
      onResponseEnd() {
        const body = rest ? Buffer.concat(rest).toString('utf8') : first ? first.toString('utf8') : '';
        finish(null, { status, headers: resHeaders, body });
      },
      onResponseError(_c, err) {
        finish(err);
      },
    };
    try {
      agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers,
          body: req.body ?? null,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        handler,
      );
    } catch (err) {
      finish(err);
    }
  });
}

/** The request's headers with lower-case names, after our user-agent (a connector's own wins). */
function withUserAgent(h: Record<string, string>, userAgent: string): Record<string, string> {
  const out: Record<string, string> = { 'user-agent': userAgent };
  for (const k in h) out[k.toLowerCase()] = h[k] as string;
  return out;
}

/** Deadlines are shared in slots of this length: a request is aborted at most this late. */
const DEADLINE_SLOT_MS = 25;

/**
 * The timeout of a request: ONE AbortSignal (one timer) for every request whose deadline falls in
 * the same DEADLINE_SLOT_MS slot, rounded up, so a request is never aborted before its timeoutMs
 * and at most one slot after. `AbortSignal.timeout` per request cost a timer each, left running
 * after the answer until it fired (a DOMException and an abort event per request, long after):
 * ~3 % of the dispatcher's CPU (bench/README.md "Dispatcher and batching (h-dispatch2)"). When the
 * slot's timer fires, the requests still listening are exactly those past their deadline; undici
 * removes a finished request's listeners.
 */
function sharedDeadlines(): (timeoutMs: number) => AbortSignal {
  const slots = new Map<number, AbortSignal>();
  return (timeoutMs) => {
    const now = Date.now();
    const due = Math.ceil((now + timeoutMs) / DEADLINE_SLOT_MS) * DEADLINE_SLOT_MS;
    let signal = slots.get(due);
    if (!signal) {
      const controller = new AbortController();
      signal = controller.signal;
      // Every request of the slot listens to it: no "possible leak" warning past 10.
      setMaxListeners(0, signal);
      slots.set(due, signal);
      setTimeout(() => {
        slots.delete(due);
        controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, due - now).unref();
    }
    return signal;
  };
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function networkError(err: unknown, timedOut: boolean, timeoutMs: number): DeliveryError {
  const e = err as { code?: string; message?: string; name?: string };
  if (e.code === BLOCKED) return new DeliveryError('config', `not sent: ${e.message ?? ''}`, { platformCode: 'BLOCKED_TARGET', cause: err });
  if (timedOut || e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') {
    return new DeliveryError('transient', `no response within ${timeoutMs} ms`, { platformCode: 'TIMEOUT', cause: err });
  }
  const code = e.code ?? e.name ?? 'NETWORK';
  return new DeliveryError('transient', `network error ${code}: ${e.message ?? ''}`.trim(), { platformCode: code, cause: err });
}
