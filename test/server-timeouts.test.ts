import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from './helpers/gateway';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ configOverrides: { server: { port: 0, host: '127.0.0.1', requestTimeoutMs: 1000, headersTimeoutMs: 1000 } } });
});
after(() => gw.close());

/** Sends `head`, then one byte every 150 ms; resolves with what the server said and when it hung up. */
function trickle(head: string): Promise<{ answer: string; closedAfterMs: number }> {
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    const timer = setInterval(() => socket.write('a'), 150);
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server still held the trickling socket after 8 s (answer so far: ${JSON.stringify(answer)})`));
    }, 8000);
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.write(head);
  });
}

test('a body that trickles in is cut after server.requestTimeoutMs with 408', async () => {
  const r = await trickle('POST /postback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20000\r\n\r\nkey=');
  assert.match(r.answer, /^HTTP\/1\.1 408/);
  assert.ok(r.closedAfterMs < 4000, `cut after ${r.closedAfterMs} ms`);
});

test('headers that trickle in are cut too', async () => {
  const r = await trickle('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
  assert.ok(r.closedAfterMs < 4000, `cut after ${r.closedAfterMs} ms`);
});

test("the defaults are tens of seconds, not Node's 300 s", async () => {
  const { testConfig } = await import('./helpers/gateway');
  const c = testConfig();
  assert.equal(c.server.requestTimeoutMs, 30_000);
  assert.equal(c.server.headersTimeoutMs, 10_000);
});
