import { createServer } from 'node:http';
import { startTestGateway, SOURCE_SECRET, queryOne } from './test/helpers/gateway';
const sink = createServer((_q, s) => s.end('ok'));
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const port = (sink.address() as any).port;
const g = await startTestGateway({ configOverrides: { delivery: { concurrency: 32, pollMs: 20, leaseMs: 10000, maxAttempts: 3, backoff: { baseMs: 10, maxMs: 50 } }, destinations: [{ id: 'd1', connector: 'http-postback', acceptUnmatched: true, settings: { url: `http://127.0.0.1:${port}/x?t={transaction_id}` } }] }, startWorkers: false });
const N = Number(process.env.N ?? 3000);
for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => fetch(`${g.url}/postback?key=${SOURCE_SECRET}&tx_id=d-${i + j}&payout=1`).then((r) => r.text())));
const t0 = performance.now();
g.gw.engine.start();
for (;;) {
  const n = Number((await queryOne(g.gw, "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'succeeded'"))?.n);
  if (n >= N) break;
  await new Promise((r) => setTimeout(r, 50));
}
const s = (performance.now() - t0) / 1000;
console.log(`${g.gw.storage.engine}: dispatched ${N} deliveries in ${s.toFixed(1)} s: ${(N / s).toFixed(0)}/s`);
await g.close(); sink.close();
