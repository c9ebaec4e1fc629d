import { startServer } from '../lib/child';
import { fmtMs, fmtPct, fmtRps, table, verdict } from '../lib/format';
import { measure, type Measurement } from '../lib/load';
import { interleave, med } from '../lib/rounds';
import { type Baselines, commitSummary, rpsRatio, SERVER_HEADER, SERVER_LEGEND, serverRow } from '../lib/report';
import { settings } from '../lib/settings';
import { redirectSpec } from '../lib/workloads';
import { envOf } from './fixed-rate';

/**
 * Issue 12 targets: click redirect with the durable click write (kv row, group commit, WAL
 * fdatasync before the answer) at ≥ 85 % of the durable-append baseline's req/s
 * (bench/servers/durable-koa.ts), p99 ≤ 5 ms at 50 connections.
 */
const TARGET_VS_DURABLE = 0.85;
const TARGET_P99_MS = 5;

const servers = {
  bare: new URL('../servers/bare-koa.ts', import.meta.url),
  durable: new URL('../servers/durable-koa.ts', import.meta.url),
  gateway: new URL('../servers/gateway.ts', import.meta.url),
};

// BENCH_REDIRECT_B_ENV="NAME=value …;NAME=value …": more gateway rows ("gateway B", "gateway C", …), one per
// `;`-separated set of variables, interleaved with the others: before/after of a diagnosis knob in one run.
const VARIANTS = (process.env.BENCH_REDIRECT_B_ENV ?? '')
  .split(';')
  .filter((v) => v.trim())
  .map((env, i) => ({ label: `gateway ${String.fromCharCode(66 + i)}`, env: env.trim() }));

async function once(label: string, script: URL, env: Record<string, string> = {}): Promise<Measurement> {
  const server = await startServer(script, { label, env: { BENCH_GATEWAY_VARIANT: 'no-delivery', ...env } });
  try {
    return await measure(server, redirectSpec());
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<{ name: string; lines: string[] }> {
  const runs = await interleave([
    { label: 'bare Koa', once: () => once('bare Koa', servers.bare) },
    { label: 'durable Koa', once: () => once('durable Koa', servers.durable) },
    { label: 'gateway', once: () => once('gateway', servers.gateway) },
    ...VARIANTS.map((v) => ({ label: v.label, once: () => once(v.label, servers.gateway, envOf(v.env)) })),
  ]);
  const get = (l: string) => runs.get(l) as Measurement[];
  const base: Baselines = { bare: get('bare Koa'), durable: get('durable Koa') };
  const gw = get('gateway');
  const ratio = rpsRatio(gw, base.durable);
  const perRound = gw.map((g, i) => g.rps / (base.durable[i] as Measurement).rps);
  const p99 = med(gw, (m) => m.p99);
  const cpuRatio = (b: Measurement[]) => med(b, (m) => m.serverCpuUsPerReq) / med(gw, (m) => m.serverCpuUsPerReq);
  const commits = (label: string, runs: Measurement[]) => [
    `- group commit (${label}), per round:`,
    ...runs.map((m, i) => {
      const rows = Number(m.server.extra.kvRows);
      const e = m.server.extra;
      const syncs = `${fmtRps(Number(e.syncCount))} WAL syncs (p50 ${fmtMs(Number(e.syncMsP50))} ms, p99 ${fmtMs(Number(e.syncMsP99))} ms, ${(Number(e.syncJobs) / Number(e.syncCount)).toFixed(1)} jobs each)`;
      return `  ${i + 1}. ${fmtRps(rows)} click rows, ${syncs}; ${commitSummary(m, rows)}`;
    }),
  ];

  return {
    name: 'redirect: GET /c/demo → 302, gateway with durable click write vs durable-append Koa and bare Koa',
    lines: [
      `${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.warmupS} s warm-up + ${settings.durationS} s measured per run, ` +
        `${settings.rounds} interleaved rounds, medians. Fresh server process (and fresh SQLite file) per run.`,
      '',
      ...table(SERVER_HEADER, [
        serverRow('bare Koa (no storage)', base.bare, base),
        serverRow('durable Koa (append + group fdatasync)', base.durable, base),
        serverRow('gateway (click → kv row, WAL fdatasync)', gw, base),
        ...VARIANTS.map((v) => serverRow(`${v.label} (${v.env})`, get(v.label), base)),
      ]),
      '',
      SERVER_LEGEND,
      '',
      `- throughput vs durable Koa: **${fmtPct(ratio)}** (target ≥ ${TARGET_VS_DURABLE * 100} %): ${verdict(ratio >= TARGET_VS_DURABLE)}; per round: ${perRound.map(fmtPct).join(', ')}; ${fmtPct(rpsRatio(gw, base.bare))} of bare Koa`,
      `- CPU-cost ratio (baseline CPU/req ÷ gateway CPU/req: the throughput ratio if both servers were CPU-bound on their core; insensitive to the load generator and to other load): ${fmtPct(cpuRatio(base.durable))} of durable Koa, ${fmtPct(cpuRatio(base.bare))} of bare Koa`,
      `- gateway p99 at ${settings.connections} connections: **${fmtMs(p99)} ms** (target ≤ ${TARGET_P99_MS} ms): ${verdict(p99 <= TARGET_P99_MS)}; durable Koa ${fmtMs(med(base.durable, (m) => m.p99))} ms`,
      ...VARIANTS.map((v) => {
        const runs = get(v.label);
        const rounds = runs.map((g, i) => fmtPct(g.rps / (base.durable[i] as Measurement).rps)).join(', ');
        return `- ${v.label} (${v.env}) vs durable Koa: **${fmtPct(rpsRatio(runs, base.durable))}**; per round: ${rounds}; p99 ${fmtMs(med(runs, (m) => m.p99))} ms`;
      }),
      ...commits('gateway', gw),
      ...VARIANTS.flatMap((v) => commits(v.label, get(v.label))),
    ],
  };
}
