import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { DeliveryError } from './delivery-error';
import { createHttpClient } from './http-client';
import type { HttpClient } from './http-types';
import { createOutboundGuard } from './outbound-guard';

/** The fakes listen on 127.0.0.1: these tests open loopback explicitly, as the config would. */
const loopback = createOutboundGuard(['127.0.0.0/8', '::1']);

let server: Server | undefined;
let client: HttpClient | undefined;

async function listen(handler: RequestListener): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  // Client first: it must not keep sockets to a server that is closing; then drop hung requests.
  await client?.close();
  client = undefined;
  if (server) {
    const s = server;
    server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

function isTransient(platformCode?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    assert.equal(err.kind, 'transient');
    assert.equal(err.retryable, true);
    if (platformCode !== undefined) assert.equal(err.platformCode, platformCode);
    return true;
  };
}

describe('createHttpClient', () => {
  it('sends method, headers and body, and reads a 200 response', async () => {
    let seen: { method?: string; url?: string; ua?: string; ct?: string; body: string } | undefined;
    const base = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, ua: req.headers['user-agent'], ct: req.headers['content-type'], body };
        res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] }).end('{"ok":true}');
      });
    });
    client = createHttpClient({ userAgent: 'closeloop-test', guard: loopback });
    const res = await client.send(
      { method: 'POST', url: `${base}/p?x=1`, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' },
      { timeoutMs: 2000 },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body, '{"ok":true}');
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['x-multi'], 'a, b');
    assert.ok(res.durationMs >= 0);
    assert.deepEqual(seen, { method: 'POST', url: '/p?x=1', ua: 'closeloop-test', ct: 'application/json', body: '{"a":1}' });
  });

  it('resolves (does not reject) on an error status', async () => {
    const base = await listen((_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('busy'));
    client = createHttpClient({ guard: loopback });
    const res = await client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 2000 });
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '7');
    assert.equal(res.body, 'busy');
  });

  it('caps the captured body at captureBytes', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(200);
      res.write('a'.repeat(60));
      res.end('b'.repeat(10_000));
    });
    client = createHttpClient({ captureBytes: 100, guard: loopback });
    const res = await client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 2000 });
    assert.equal(res.body, 'a'.repeat(60) + 'b'.repeat(40));
  });

  it('rejects a server that never answers with transient TIMEOUT within timeoutMs', async () => {
    const base = await listen(() => {
      /* never answers */
    });
    client = createHttpClient({ guard: loopback });
    const started = performance.now();
    await assert.rejects(client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 300 }), isTransient('TIMEOUT'));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it('times out a request still waiting for a connection on time, and the pool serves the next one', async () => {
    let answer = false;
    const base = await listen((_req, res) => {
      if (answer) res.end('ok');
      /* else never answers */
    });
    client = createHttpClient({ guard: loopback, connections: 1 });
    const started = performance.now();
    // One socket: the second request waits in the pool's queue behind the first, which hangs.
    const both = [0, 1].map(() => client?.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 300 }));
    for (const p of both) await assert.rejects(p as Promise<unknown>, isTransient('TIMEOUT'));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 1500, `took ${elapsed} ms`);
    answer = true;
    const res = await client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 2000 });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
  });

  it('times out a body that stalls after the headers', async () => {
    const base = await listen((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    client = createHttpClient({ guard: loopback });
    await assert.rejects(client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 300 }), isTransient('TIMEOUT'));
  });

  it('rejects as transient when the server destroys the socket', async () => {
    const base = await listen((req) => req.socket.destroy());
    client = createHttpClient({ guard: loopback });
    await assert.rejects(client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 2000 }), isTransient());
  });

  it('rejects as transient when the connection is refused', async () => {
    const base = await listen(() => undefined);
    const s = server as Server;
    server = undefined;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    client = createHttpClient({ guard: loopback });
    await assert.rejects(client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 2000 }), isTransient('ECONNREFUSED'));
  });

  it('honours a caller abort signal', async () => {
    const base = await listen(() => undefined);
    client = createHttpClient({ guard: loopback });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(client.send({ method: 'GET', url: base, headers: {} }, { timeoutMs: 5000, signal: ac.signal }), isTransient());
  });

  it('refuses private targets by default, IP literals before the request and names at connect time, as config errors', async () => {
    let hits = 0;
    const base = await listen((_req, res) => {
      hits++;
      res.writeHead(200).end('ok');
    });
    const port = new URL(base).port;
    client = createHttpClient();
    const urls = [
      base,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://2130706433:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[2002:a9fe:a9fe::]/',
    ];
    for (const url of urls) {
      await assert.rejects(client.send({ method: 'GET', url, headers: {} }, { timeoutMs: 2000 }), (err: unknown) => {
        assert.ok(err instanceof DeliveryError, String(err));
        assert.equal(err.kind, 'config', url);
        assert.equal(err.platformCode, 'BLOCKED_TARGET', url);
        assert.equal(err.retryable, false);
        return true;
      });
    }
    assert.equal(hits, 0, 'nothing reached the server');
  });

  it('an allow-listed host name reaches a loopback server through the lookup hook', async () => {
    const base = await listen((_req, res) => res.writeHead(204).end());
    client = createHttpClient({ guard: createOutboundGuard(['localhost']) });
    const res = await client.send({ method: 'GET', url: `http://localhost:${new URL(base).port}/`, headers: {} }, { timeoutMs: 2000 });
    assert.equal(res.status, 204);
  });

  it('an unparseable URL or another scheme is a config error, not transient', async () => {
    client = createHttpClient({ guard: loopback });
    for (const url of ['http://exa mple.com:99999/', 'not a url', 'ftp://127.0.0.1/x']) {
      await assert.rejects(client.send({ method: 'GET', url, headers: {} }, { timeoutMs: 500 }), (err: unknown) => {
        assert.ok(err instanceof DeliveryError);
        assert.equal(err.kind, 'config', url);
        assert.equal(err.platformCode, 'BAD_URL');
        return true;
      });
    }
  });
});
