import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const { tiktok } = await import('/work/main/connectors/tiktok/index.ts');
const { startTiktokFake } = await import('/work/main/test/fakes/tiktok.ts');
const { startTestGateway, testConfig } = await import('/work/main/test/helpers/gateway.ts');
const N = Number(process.env.N ?? 3000);
const maxBatch = Number(process.env.MB ?? 50);
const sync = process.env.SYNC ?? 'FULL';
const dir = mkdtempSync(join(tmpdir(), 'cl-instr-'));
const dbPath = join(dir, 'b.db');
const fake = await startTiktokFake({ accessToken: 'bench-tiktok-access-token-0123456789abcdef', pixelCode: 'C4BENCHPIXEL00000001' });
const config = testConfig({ storage: { sqlitePath: dbPath, synchronous: sync },
  delivery: { concurrency: 32, pollMs: 20, leaseMs: 60000, maxAttempts: 10, backoff: { baseMs: 100, maxMs: 5000 } },
  sources: [{ id: 'd', secret: 'bench-direct-tiktok-secret-0123', mode: 'direct', platform: 'tiktok' }],
  destinations: [{ id: 'tt', connector: 'tiktok', settings: { baseUrl: fake.url, pixelCode: 'C4BENCHPIXEL00000001' }, credentials: { accessToken: 'bench-tiktok-access-token-0123456789abcdef' } }] }, dbPath);
const conn = { ...tiktok, limits: { ...tiktok.limits, maxBatch } };
const gw = await startTestGateway({ config, connectors: [conn], startWorkers: false });
let next = 0;
await Promise.all(Array.from({ length: 32 }, async () => { while (next < N) { const i = next++; const r = await fetch(`${gw.url}/postback?key=bench-direct-tiktok-secret-0123&click_id=E.C.P.${i}&tx_id=t${i}&payout=1`); await r.text(); } }));
const L = gw.gw.ledger as any;
const stats: Record<string, [number, number]> = {};
if (process.env.STRIP) { const orig = L.completeAttempts.bind(L); L.completeAttempts = (rs: any[], now: number) => orig(rs.map((r: any, i: number) => i === 0 ? r : { ...r, attempt: { ...r.attempt, request: null } }), now); }
for (const m of ['claimDue', 'completeAttempts', 'release']) {
  const orig = L[m].bind(L);
  L[m] = async (...a: any[]) => { const t = performance.now(); try { return await orig(...a); } finally { const s = (stats[m] ??= [0, 0]); s[0]++; s[1] += performance.now() - t; } };
}
const db = gw.gw.db;
const q = db.prepare(`SELECT COUNT(*) n FROM deliveries WHERE status='succeeded'`);
const t0 = performance.now();
gw.gw.engine.start();
while ((q.get() as any).n < N) await new Promise((r) => setTimeout(r, 5));
const el = (performance.now() - t0) / 1000;
console.log({ N, maxBatch, sync, seconds: el.toFixed(2), perSec: Math.round(N / el), requests: fake.requests.length, stats });
await gw.close(); await fake.close();
