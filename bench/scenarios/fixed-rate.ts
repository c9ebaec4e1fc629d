import { startServer } from '../lib/child';
import { fmtMs, fmtRps, fmtUs, table, verdict } from '../lib/format';
import type { LoadSpec } from '../lib/load';
import { type FixedRateMeasurement, measureFixedRate } from '../lib/open-loop';
import { interleave, med } from '../lib/rounds';
import { settings } from '../lib/settings';
import { intakeSpec, redirectSpec, storeClick } from '../lib/workloads';
import type { GatewayVariant } from '../servers/shared';

/**
 * Issue 12 target: p99 ≤ 2 ms at a realistic 1,000 requests/s (BENCH_RATE), both paths — a fixed
 * rate, not saturation: an open-loop generator (bench/lib/open-loop.ts) sends on schedule and
 * measures each answer from its intended send time. Intake is held-outbox (conversion + outbox
 * row); the redirect writes its click row. Durable Koa and bare Koa at the same rate show what
 * HTTP and a group fdatasync cost on their own.
 */
const TARGET_P99_MS = 2;
const rate = Number(process.env.BENCH_RATE ?? 1000);
if (!Number.isFinite(rate) || rate <= 0) throw new Error(`BENCH_RATE must be a positive number, got "${process.env.BENCH_RATE}"`);

const scripts = {
  bare: new URL('../servers/bare-koa.ts', import.meta.url),
  durable: new URL('../servers/durable-koa.ts', import.meta.url),
  gateway: new URL('../servers/gateway.ts', import.meta.url),
};
// BENCH_FR_B_ENV="NAME=value …": a second gateway row ("gateway B") with those variables, interleaved with the
// first: before/after of a diagnosis knob in one run.
const bEnv = envOf(process.env.BENCH_FR_B_ENV);

/** "NAME=value NAME2=value2" as an environment object (the B rows of fixed-rate.ts and redirect.ts). */
export function envOf(text = ''): Record<string, string> {
  return Object.fromEntries(
    text
      .split(' ')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
}
type Kind = keyof typeof scripts | 'gatewayB';
type Path = 'intake' | 'redirect';

async function once(kind: Kind, path: Path): Promise<FixedRateMeasurement> {
  const variant: GatewayVariant = path === 'intake' ? 'held-outbox' : 'no-delivery';
  const script = scripts[kind === 'gatewayB' ? 'gateway' : kind];
  const server = await startServer(script, { label: `${kind} ${path}`, env: { BENCH_GATEWAY_VARIANT: variant, ...(kind === 'gatewayB' ? bEnv : {}) } });
  try {
    const gateway = kind === 'gateway' || kind === 'gatewayB';
    const load: LoadSpec = path === 'redirect' ? redirectSpec() : intakeSpec(gateway ? await storeClick(server) : undefined);
    return await measureFixedRate(server, { ...load, rate, durationS: settings.durationS }, settings.warmupS);
  } finally {
    await server.stop();
  }
}

/**
 * BENCH_DIAG=1: the gateway child records 100 ms windows (event-loop delay, flush, WAL fdatasync, GC, WAL size;
 * bench/servers/gateway.ts); each window's client-side latency (by intended send time) is printed next to them on
 * stderr, and the stalled windows (max > BENCH_DIAG_STALL_MS, 5) are summed by what coincided with them.
 */
function diagnose(label: string, m: FixedRateMeasurement): void {
  const raw = m.server.extra.diag;
  if (typeof raw !== 'string') return;
  const windows = JSON.parse(raw) as Array<Record<string, number>>;
  const stallMs = Number(process.env.BENCH_DIAG_STALL_MS ?? 5);
  const interval = 1000 / m.rate;
  const out: string[] = [
    `[diag ${label}] t(s) reqs p99 max | loopMax flushMax flushMs syncMax syncs gcMs gcMax walMB frames backfilled | mainRun mainWait ckptRun`,
  ];
  const n = m.run.byIntended.length;
  let restarts = 0;
  for (let i = 1; i < windows.length; i++) if ((windows[i]?.frames ?? 0) < (windows[i - 1]?.frames ?? 0)) restarts++;
  for (const w of windows) {
    const t = w.t as number;
    const from = Math.max(0, Math.ceil((t - m.run.startedAt) / interval));
    const to = Math.min(n, Math.ceil((t + 100 - m.run.startedAt) / interval));
    if (to <= from) continue;
    const lat = m.run.byIntended.slice(from, to).sort();
    const max = lat[lat.length - 1] as number;
    const p99 = lat[Math.min(lat.length - 1, Math.ceil(0.99 * lat.length) - 1)] as number;
    const f = (x: number | undefined) => (x ?? 0).toFixed(1);
    w.latMax = max;
    const line = `${((t - m.run.startedAt) / 1000).toFixed(1)} ${lat.length} ${f(p99)} ${f(max)} | ${f(w.loopMax)} ${f(w.flushMax)} ${f(w.flushMs)} ${f(w.syncMax)} ${w.syncs} ${f(w.gcMs)} ${f(w.gcMax)} ${f(w.walMb)} ${w.frames} ${w.backfilled} | ${f(w.mainRun)} ${f(w.mainWait)} ${f(w.ckptRun)}`;
    if (max > stallMs || process.env.BENCH_DIAG_ALL === '1') out.push(`${max > stallMs ? '*' : ' '} ${line}`);
  }
  const stalled = windows.filter((w) => (w.latMax ?? 0) > stallMs);
  const sum = (key: string) => windows.reduce((a, w) => a + (w[key] ?? 0), 0).toFixed(0);
  const by = (key: string) => stalled.filter((w) => (w[key] ?? 0) > stallMs).length;
  out.push(
    `[diag ${label}] ${stalled.length}/${windows.length} windows with a latency > ${stallMs} ms; of them loop delay > ${stallMs} ms: ${by('loopMax')}, ` +
      `flush > ${stallMs}: ${by('flushMax')}, fdatasync > ${stallMs}: ${by('syncMax')}, GC > ${stallMs}: ${by('gcMax')}; WAL restarts: ${restarts}; ` +
      `main thread on CPU ${sum('mainRun')} ms, runnable but waiting ${sum('mainWait')} ms, checkpointer on CPU ${sum('ckptRun')} ms; ` +
      `max WAL ${Math.max(...windows.map((w) => w.walMb ?? 0)).toFixed(1)} MB, max frames ${Math.max(...windows.map((w) => w.frames ?? 0))}`,
  );
  process.stderr.write(`${out.join('\n')}\n`);
}

const LABELS: Record<Kind, string> = { bare: 'bare Koa', durable: 'durable Koa', gateway: 'gateway', gatewayB: `gateway B (${process.env.BENCH_FR_B_ENV})` };

export async function run(): Promise<{ name: string; lines: string[] }> {
  // BENCH_FR_PATHS=intake, BENCH_FR_KINDS=gateway,durable: a subset, for diagnosis runs.
  const pick = <T extends string>(env: string | undefined, all: readonly T[]): readonly T[] => (env ? all.filter((x) => env.split(',').includes(x)) : all);
  const paths = pick(process.env.BENCH_FR_PATHS, ['intake', 'redirect'] as const);
  const kinds = pick(process.env.BENCH_FR_KINDS, ['bare', 'durable', 'gateway', ...(process.env.BENCH_FR_B_ENV ? (['gatewayB'] as const) : [])] as const);
  const targets = paths.flatMap((path) =>
    kinds.map((kind) => ({
      label: `${path}|${kind}`,
      once: async () => {
        const m = await once(kind, path);
        diagnose(`${path} ${kind}`, m);
        return m;
      },
    })),
  );
  const runs = await interleave(targets);
  const rows: Array<Array<string | number>> = [];
  const verdicts: string[] = [];
  for (const path of paths) {
    for (const kind of kinds) {
      const ms = runs.get(`${path}|${kind}`) as FixedRateMeasurement[];
      const p = (pick: (m: FixedRateMeasurement) => number) => fmtMs(med(ms, pick));
      rows.push([
        path === 'intake' ? 'GET /postback (held-outbox)' : 'GET /c/demo',
        LABELS[kind],
        fmtRps(med(ms, (m) => m.ok / (m.server.wallMs / 1000))),
        p((m) => m.p50),
        p((m) => m.p99),
        p((m) => m.p999),
        p((m) => m.max),
        p((m) => m.serviceP99),
        p((m) => m.sendLagP99),
        fmtUs(med(ms, (m) => m.serverCpuUsPerReq)),
        ms.map((m) => fmtMs(m.p99)).join(' / '),
        ms.reduce((s, m) => s + m.bad, 0),
      ]);
      if (kind === 'gateway' || kind === 'gatewayB') {
        const p99 = med(ms, (m) => m.p99);
        verdicts.push(
          `- ${path}${kind === 'gatewayB' ? ' (gateway B)' : ''} p99 at ${fmtRps(rate)} req/s: **${fmtMs(p99)} ms** (target ≤ ${TARGET_P99_MS} ms): ${verdict(p99 <= TARGET_P99_MS)}`,
        );
      }
    }
  }
  return {
    name: `fixed rate: both paths at ${fmtRps(rate)} req/s (open loop), latency from the intended send time`,
    lines: [
      `${fmtRps(rate)} req/s (BENCH_RATE), ${settings.warmupS} s warm-up + ${settings.durationS} s measured per run, ${settings.rounds} interleaved rounds, medians; ` +
        'keep-alive undici Pool (≤ 64 connections); fresh server process per run.',
      '',
      ...table(
        [
          'path',
          'server',
          'answered/s',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'p99 from send ms',
          'send lag p99 ms',
          'server CPU µs/req',
          'p99 per round',
          'bad',
        ],
        rows,
      ),
      '',
      'Latency is measured from each request\'s intended send time (no coordinated omission). "p99 from send" is measured from the moment the request was handed to the client; ' +
        '"send lag" is how late the generator\'s timer fired (it is part of every latency above, so a figure near it is the generator, not the server).',
      '',
      ...verdicts,
    ],
  };
}
