import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { tiktok } from '../../connectors/tiktok/index';
import type { AnyConnector } from '../../src/connector-kit';
import { startTiktokFake } from '../../test/fakes/tiktok';
import { startTestGateway, testConfig } from '../../test/helpers/gateway';
import { startServer } from '../lib/child';
import { profileWindow } from '../lib/in-process-profile';

/**
 * Delivery throughput with batching vs one request per conversion, same run, same work: N
 * postbacks are recorded first (workers stopped), then the delivery engine starts and the clock
 * runs until every delivery is `succeeded` in the ledger. Real gateway (test/helpers/gateway.ts),
 * SQLite synchronous=FULL, engine concurrency 32, real HTTP (undici) to the TikTok fake on
 * 127.0.0.1, which validates every event. "one per request" is the same connector with
 * limits.maxBatch = 1. Target: batched ≥ 10× one-per-request.
 *
 * Two network conditions: the fake answering at once (CPU and storage bound: the worst case for
 * batching) and the fake answering after BENCH_BATCHING_LATENCY_MS (default 100 ms), a platform
 * round trip (Meta: most responses under 600 ms, https://developers.facebook.com/documentation/ads-commerce/conversions-api/support).
 * Knobs: BENCH_BATCHING_N (5000: the 100 ms one-per-request variant's conversions, twice that without latency), BENCH_BATCHING_BATCHED_N
 * (80000: the batched variants', so that their window is ≥ 3 s too — 5,000 batched conversions
 * took 0.45 s, a window one scheduler hiccup moves by 10 %; rates compare, not counts),
 * BENCH_BATCHING_ROUNDS (2), BENCH_BATCHING_LATENCY_MS (100),
 * BENCH_BATCHING_PROFILE=FILE (a CPU profile of each delivering window; the last one stays).
 * BENCH_BATCHING_ONLY=batched (only the variants whose label contains it; the ratios then need both).
 * BENCH_BATCHING_FAKE=child (default) runs the fake in a child process on the other core
 * (bench/servers/tiktok-fake.ts), as the dispatch scenario does with its sink: a platform's CPU
 * is not ours. `inline` runs it in this process as before (its CPU then counts as the gateway's).
 */
const N = Number(process.env.BENCH_BATCHING_N ?? 5000);
const BATCHED_N = Number(process.env.BENCH_BATCHING_BATCHED_N ?? 80_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_BATCHING_ROUNDS ?? 2));
const LATENCY_MS = Number(process.env.BENCH_BATCHING_LATENCY_MS ?? 100);
const TARGET = 10;
const PROFILE = process.env.BENCH_BATCHING_PROFILE;
const FAKE_IN_CHILD = (process.env.BENCH_BATCHING_FAKE ?? 'child') !== 'inline';
const PIXEL = 'C4BENCHPIXEL00000001';
const TOKEN = 'bench-tiktok-access-token-0123456789abcdef';
const SECRET = 'bench-direct-tiktok-secret-0123';

interface Variant {
  label: string;
  connector: AnyConnector;
  latencyMs: number;
  /** Conversions recorded and delivered. */
  n: number;
}
interface Result {
  variant: Variant;
  n: number;
  seconds: number;
  perSecond: number;
  /** This process's CPU per conversion while delivering: engine, ledger, client (AND the fake when it runs inline). */
  cpuUs: number;
  /** The fake child's CPU per conversion (0 when inline). */
  fakeCpuUs: number;
  requests: number;
  requestBytes: number;
  dbBytes: number;
}

function log(message: string): void {
  process.stderr.write(`[bench batching] ${message}\n`);
}

async function once(v: Variant): Promise<Result> {
  const N = v.n;
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-bench-batching-'));
  const dbPath = join(dir, 'bench.db');
  const fake = await startFake(v.latencyMs, v.n);
  const config = testConfig(
    {
      storage: { sqlitePath: dbPath, synchronous: 'FULL' },
      // The config defaults (concurrency 32…), with a short idle poll.
      delivery: { concurrency: 32, pollMs: 20, leaseMs: 60_000, maxAttempts: 10, backoff: { baseMs: 100, maxMs: 5_000 } },
      // Direct mode: the postback carries the ttclid itself, so no click needs storing first.
      sources: [{ id: 'tt-direct', secret: SECRET, mode: 'direct', platform: 'tiktok' }],
      destinations: [{ id: 'tt', connector: 'tiktok', settings: { baseUrl: fake.url, pixelCode: PIXEL }, credentials: { accessToken: TOKEN } }],
    },
    dbPath,
  );
  const gw = await startTestGateway({ config, connectors: [v.connector], startWorkers: false });
  try {
    log(`${v.label}: recording ${N} postbacks`);
    // undici on keep-alive sockets, not fetch: recording is untimed, but 40,000 through fetch took ~40 s.
    const agent = new Agent({ connections: 32 });
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const q = new URLSearchParams({ key: SECRET, click_id: `E.C.P.bench-${i}`, tx_id: `tx-${i}`, payout: '12.50' });
        const res = await request(`${gw.url}/postback?${q}`, { dispatcher: agent });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`postback ${i} answered ${res.statusCode}: ${text}`);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await agent.close();
    log(`${v.label}: recorded`);

    const db = gw.gw.db;
    const count = db.prepare(`SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status`);
    const counts = () => Object.fromEntries((count.all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
    if (counts().pending !== N) throw new Error(`expected ${N} pending deliveries, found ${JSON.stringify(counts())}`);

    log(`${v.label}: delivering`);
    const engine = gw.gw.engine;
    await fake.mark();
    const profiler = PROFILE ? await profileWindow(PROFILE) : null;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    engine.start();
    // The engine's own counters (bumped after each commit), not a GROUP BY over the table every
    // few ms: the poll ran in this process and was counted as delivery CPU.
    for (;;) {
      if (engine.stats.succeeded >= N) break;
      if (engine.stats.failed > 0 && counts().dead)
        throw new Error(`${v.label}: ${counts().dead} deliveries dead; fake rejections: ${await fake.rejections()}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await profiler?.();
    const fakeStats = await fake.stats();
    if (counts().succeeded !== N) throw new Error(`${v.label}: expected ${N} succeeded deliveries, found ${JSON.stringify(counts())}`);
    if (fakeStats.unique !== N) throw new Error(`${v.label}: the fake accepted ${fakeStats.unique} distinct events, expected ${N}`);
    const { bytes } = db.prepare(`SELECT COALESCE(SUM(LENGTH(request)), 0) AS bytes FROM exchanges`).get() as { bytes: number };
    const dbBytes = ['', '-wal'].reduce((s, ext) => s + (statSync(dbPath + ext, { throwIfNoEntry: false })?.size ?? 0), 0);
    return {
      variant: v,
      n: N,
      seconds,
      perSecond: N / seconds,
      cpuUs: (cpu.user + cpu.system) / N,
      fakeCpuUs: fakeStats.cpuUs,
      requests: fakeStats.requests,
      requestBytes: bytes,
      dbBytes,
    };
  } finally {
    await gw.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Fake {
  url: string;
  mark(): Promise<void>;
  /** Over the window since mark: requests, distinct event ids accepted, the fake's CPU per conversion (0 inline). */
  stats(): Promise<{ requests: number; unique: number; cpuUs: number }>;
  rejections(): Promise<string>;
  close(): Promise<void>;
}

async function startFake(latencyMs: number, n: number): Promise<Fake> {
  if (!FAKE_IN_CHILD) {
    const fake = await startTiktokFake({ accessToken: TOKEN, pixelCode: PIXEL, latencyMs });
    return {
      url: fake.url,
      mark: async () => undefined,
      stats: async () => ({ requests: fake.requests.length, unique: new Set(fake.accepted.map((e) => e.event_id)).size, cpuUs: 0 }),
      rejections: async () => fake.rejections.slice(-3).join(' | '),
      close: () => fake.close(),
    };
  }
  const child = await startServer(new URL('../servers/tiktok-fake.ts', import.meta.url), {
    label: 'tiktok-fake',
    env: { FAKE_TOKEN: TOKEN, FAKE_PIXEL: PIXEL, FAKE_LATENCY_MS: String(latencyMs) },
  });
  return {
    url: child.url,
    mark: () => child.mark(),
    stats: async () => {
      const s = await child.stats();
      return { requests: Number(s.extra.requests), unique: Number(s.extra.unique), cpuUs: (s.cpuMs * 1000) / n };
    },
    rejections: async () => String((await child.stats()).extra.rejections),
    close: () => child.stop(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mb = (b: number) => `${(b / 1_048_576).toFixed(1)} MB`;

export async function run(): Promise<{ name: string; lines: string[] }> {
  const batched = tiktok as AnyConnector;
  const single: AnyConnector = { ...batched, limits: { ...batched.limits, maxBatch: 1 } };
  const variants: Variant[] = [
    // At once, one per request runs at 1,500–2,800/s: twice N for a window ≥ 3 s.
    { label: 'no latency, one per request', connector: single, latencyMs: 0, n: 2 * N },
    { label: 'no latency, batched', connector: batched, latencyMs: 0, n: BATCHED_N },
    { label: `${LATENCY_MS} ms latency, one per request`, connector: single, latencyMs: LATENCY_MS, n: N },
    { label: `${LATENCY_MS} ms latency, batched`, connector: batched, latencyMs: LATENCY_MS, n: BATCHED_N },
  ];
  const results = new Map<Variant, Result[]>(variants.map((v) => [v, []]));
  const only = process.env.BENCH_BATCHING_ONLY;
  // Interleaved rounds, so drift (page cache, other load on the machine) hits every variant alike.
  for (let r = 0; r < ROUNDS; r++) for (const v of variants) if (!only || v.label.includes(only)) results.get(v)?.push(await once(v));
  const rate = (i: number) => median((results.get(variants[i] as Variant) ?? []).map((x) => x.perSecond));
  const ratio = (a: number, b: number) => rate(a) / rate(b);
  const cpu = (i: number) => median((results.get(variants[i] as Variant) ?? []).map((x) => x.cpuUs));
  const verdict = (x: number) => `**${x.toFixed(1)}×** (target ≥ ${TARGET}×: ${x >= TARGET ? 'met' : 'NOT met'})`;
  const row = (r: Result) =>
    `| ${r.variant.label} | ${r.n} | ${r.variant.connector.limits.maxBatch} | ${r.requests} | ${r.seconds.toFixed(2)} s | ${Math.round(r.perSecond)} | ${Math.round(r.cpuUs)} | ${FAKE_IN_CHILD ? Math.round(r.fakeCpuUs) : '(inline)'} | ${mb(r.requestBytes)} | ${mb(r.dbBytes)} |`;
  return {
    name: `batching: conversions to the TikTok fake, maxBatch ${batched.limits.maxBatch} vs one request per conversion`,
    lines: [
      `${2 * N} (one per request at once), ${N} (one per request, ${LATENCY_MS} ms) or ${BATCHED_N} (batched) postbacks (windows ≥ 3 s) recorded first (direct mode, ttclid in the postback), then the engine starts; time until all deliveries are ` +
        'succeeded in the ledger. Real gateway, SQLite synchronous=FULL, engine concurrency 32, undici to the TikTok fake on 127.0.0.1 ' +
        `(${FAKE_IN_CHILD ? 'a child process on the other core, as a real platform' : "in this process, BENCH_BATCHING_FAKE=inline: its CPU counts as the gateway's"}; ` +
        `it validates every event). ${ROUNDS} round(s), interleaved; medians.`,
      '',
      `| variant | conversions | maxBatch | HTTP requests | time | conversions/s | CPU µs/conversion (${FAKE_IN_CHILD ? 'gateway' : 'gateway + fake'}) | fake CPU µs/conversion | exchange request bytes | db + wal |`,
      '|---|---|---|---|---|---|---|---|---|---|',
      ...variants.flatMap((v) => (results.get(v) ?? []).map(row)),
      '',
      `- with a ${LATENCY_MS} ms platform round trip: batched / one-per-request = ${verdict(ratio(3, 2))}.`,
      `- fake answering at once (CPU and SQLite bound): batched / one-per-request = ${verdict(ratio(1, 0))}.`,
      `- CPU per conversion in this process, one-per-request / batched (what the no-latency ratio tends to while each side is bound by its core; load on the fake's core does not move it): ${(cpu(0) / cpu(1)).toFixed(1)}× at once, ${(cpu(2) / cpu(3)).toFixed(1)}× with ${LATENCY_MS} ms.`,
      '- Every delivery costs the same ledger work in both variants (claim, attempt row, delivery update); batching saves HTTP round ' +
        "trips, request building and exchange rows (a batch's request is stored once, in `exchanges`).",
    ],
  };
}
