import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  receivedAt: number;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
  /** Never answer (the client must time out). */
  hang?: boolean;
  delayMs?: number;
}

/** A JSON answer, as most platform APIs give. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): FakeReply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export type FakeHandler = (req: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

/** An HTTP server on 127.0.0.1:0 that records every request and answers as told. */
export async function startFakeServer(handler: FakeHandler = () => ({ status: 200, body: 'ok' })) {
  const requests: RecordedRequest[] = [];
  const waiters: Array<() => void> = [];
  const hung: ServerResponse[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: Date.now(),
    };
    const index = requests.push(rec) - 1;
    waiters.splice(0).forEach((w) => w());
    const reply = await handler(rec, index);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.reset) return req.socket.destroy();
    if (reply.hang) return void hung.push(res);
    res.writeHead(reply.status ?? 200, reply.headers ?? { 'content-type': 'text/plain' });
    res.end(reply.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Resolves once at least `n` requests arrived. */
    async waitFor(n: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`fake server got ${requests.length} requests, expected ${n}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return requests;
    },
    async close(): Promise<void> {
      hung.forEach((r) => r.destroy());
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
export type FakeServer = Awaited<ReturnType<typeof startFakeServer>>;
