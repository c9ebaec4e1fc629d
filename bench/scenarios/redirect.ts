import { startServer } from '../lib/child';
import { fmtMs, fmtPct, fmtRps, table, verdict } from '../lib/format';
import { measure, type Measurement } from '../lib/load';
import { interleave, med } from '../lib/rounds';
import { commitSummary, SERVER_HEADER, SERVER_LEGEND, serverRow } from '../lib/report';
import { settings } from '../lib/settings';
import { redirectSpec } from '../lib/workloads';

/**
 * Issue target: click redirect ≥ 80 % of bare Koa's req/s with p99 ≤ 10 ms at 50 connections,
 * with the durable click write (kv row, group commit, synchronous=FULL).
 */
const TARGET_RATIO = 0.8;
const TARGET_P99_MS = 10;

const servers = {
  baseline: new URL('../servers/bare-koa.ts', import.meta.url),
  gateway: new URL('../servers/gateway.ts', import.meta.url),
};

async function once(label: string, script: URL): Promise<Measurement> {
  const server = await startServer(script, { label, env: { BENCH_GATEWAY_VARIANT: 'no-delivery' } });
  try {
    return await measure(server, redirectSpec());
  } finally {
    await server.stop();
  }
}

export async function run(): Promise<{ name: string; lines: string[] }> {
  const runs = await interleave([
    { label: 'bare Koa', once: () => once('bare Koa', servers.baseline) },
    { label: 'gateway', once: () => once('gateway', servers.gateway) },
  ]);
  const base = runs.get('bare Koa') as Measurement[];
  const gw = runs.get('gateway') as Measurement[];
  const ratio = med(gw, (m) => m.rps) / med(base, (m) => m.rps);
  const perRound = gw.map((g, i) => g.rps / (base[i] as Measurement).rps);
  const p99 = med(gw, (m) => m.p99);
  const cpuRatio = med(base, (m) => m.serverCpuUsPerReq) / med(gw, (m) => m.serverCpuUsPerReq);

  return {
    name: 'redirect: GET /c/demo → 302, gateway with durable click write vs bare Koa',
    lines: [
      `${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.warmupS} s warm-up + ${settings.durationS} s measured per run, ` +
        `${settings.rounds} interleaved rounds, medians. Fresh server process (and fresh SQLite file) per run.`,
      '',
      ...table(SERVER_HEADER, [serverRow('bare Koa (no storage)', base, '100 %'), serverRow('gateway (click → kv row, FULL)', gw, fmtPct(ratio))]),
      '',
      SERVER_LEGEND,
      '',
      `- throughput ratio: **${fmtPct(ratio)}** (target ≥ ${TARGET_RATIO * 100} %): ${verdict(ratio >= TARGET_RATIO)}; per round: ${perRound.map(fmtPct).join(', ')}`,
      `- CPU-cost ratio (bare Koa CPU/req ÷ gateway CPU/req: the throughput ratio if both servers were CPU-bound on their core; insensitive to the load generator and to other load): ${fmtPct(cpuRatio)}`,
      `- gateway p99: **${fmtMs(p99)} ms** (target ≤ ${TARGET_P99_MS} ms): ${verdict(p99 <= TARGET_P99_MS)}`,
      '- group commit (gateway), per round:',
      ...gw.map((m, i) => `  ${i + 1}. ${fmtRps(Number(m.server.extra.kvRows))} click rows; ${commitSummary(m)}`),
    ],
  };
}
