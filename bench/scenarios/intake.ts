import { startServer } from '../lib/child';
import { fmtMs, fmtPct, fmtRps, table, verdict } from '../lib/format';
import { measure, type Measurement } from '../lib/load';
import { interleave, med } from '../lib/rounds';
import { type Baselines, commitSummary, rpsRatio, SERVER_HEADER, SERVER_LEGEND, serverRow } from '../lib/report';
import { settings } from '../lib/settings';
import { intakeSpec, storeClick } from '../lib/workloads';
import type { GatewayVariant } from '../servers/shared';

/**
 * Issue 12 targets: postback intake with the durable conversion + outbox write (held-outbox) at
 * ≥ 60 % of the durable-append baseline's req/s (bench/servers/durable-koa.ts: the limit of a
 * durable answer in this stack), p99 ≤ 5 ms at 50 connections. Every request carries a unique
 * tx_id (a new conversion each time, never a duplicate) and the click id of a click stored
 * beforehand, so intake also does its click lookup.
 */
const TARGET_VS_DURABLE = 0.6;
const TARGET_P99_MS = 5;

const servers = {
  bare: new URL('../servers/bare-koa.ts', import.meta.url),
  durable: new URL('../servers/durable-koa.ts', import.meta.url),
  gateway: new URL('../servers/gateway.ts', import.meta.url),
};

async function once(label: string, script: URL, variant?: GatewayVariant): Promise<Measurement> {
  const server = await startServer(script, { label, env: variant ? { BENCH_GATEWAY_VARIANT: variant } : {} });
  try {
    const m = await measure(server, intakeSpec(variant ? await storeClick(server) : undefined));
    if (variant) checkWrites(label, variant, m);
    return m;
  } finally {
    await server.stop();
  }
}

/** The rows the measured window wrote must match the 200s: one conversion each, and one outbox row each in held-outbox. */
function checkWrites(label: string, variant: GatewayVariant, m: Measurement): void {
  const conv = Number(m.server.extra.conversionRows);
  const dlv = Number(m.server.extra.deliveryRows);
  const wantDlv = variant === 'held-outbox' ? m.ok : 0;
  // autocannon stops the clock with requests in flight; their rows can land just before `stats`.
  const slack = 2 * settings.connections;
  if (conv < m.ok || conv > m.ok + slack || dlv < wantDlv || dlv > wantDlv + (wantDlv ? slack : 0)) {
    throw new Error(`${label}: ${m.ok} postbacks answered 200 but ${conv} conversion rows and ${dlv} delivery rows were written`);
  }
}

export async function run(): Promise<{ name: string; lines: string[] }> {
  const labels = { bare: 'bare Koa', durable: 'durable Koa', none: 'gateway no-delivery', held: 'gateway held-outbox' };
  const runs = await interleave([
    { label: labels.bare, once: () => once(labels.bare, servers.bare) },
    { label: labels.durable, once: () => once(labels.durable, servers.durable) },
    { label: labels.none, once: () => once(labels.none, servers.gateway, 'no-delivery') },
    { label: labels.held, once: () => once(labels.held, servers.gateway, 'held-outbox') },
  ]);
  const get = (l: string) => runs.get(l) as Measurement[];
  const base: Baselines = { bare: get(labels.bare), durable: get(labels.durable) };
  const none = get(labels.none);
  const held = get(labels.held);
  const vsDurable = (ms: Measurement[]) => rpsRatio(ms, base.durable);
  const cpuRatio = (ms: Measurement[], b: Measurement[]) => med(b, (m) => m.serverCpuUsPerReq) / med(ms, (m) => m.serverCpuUsPerReq);
  const perRound = (ms: Measurement[]) => ms.map((m, i) => fmtPct(m.rps / (base.durable[i] as Measurement).rps)).join(', ');
  const p99 = (ms: Measurement[]) => med(ms, (m) => m.p99);

  const commits = (label: string, ms: Measurement[]) => [
    `- group commit, ${label}, per round:`,
    ...ms.map(
      (m, i) =>
        `  ${i + 1}. ${fmtRps(Number(m.server.extra.conversionRows))} conversions + ${fmtRps(Number(m.server.extra.deliveryRows))} outbox rows; ${commitSummary(m, Number(m.server.extra.conversionRows))}`,
    ),
  ];
  return {
    name: 'intake: GET /postback → 200, gateway with durable conversion (+ outbox) write vs durable-append Koa and bare Koa',
    lines: [
      `${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.warmupS} s warm-up + ${settings.durationS} s measured per run, ` +
        `${settings.rounds} interleaved rounds, medians. Unique tx_id per request; click_id = a click stored before the run.`,
      '',
      '- durable Koa: the query string appended to a file, one write + fdatasync per event-loop turn, answered after it (the limit of a durable answer).',
      '- no-delivery: each postback writes the conversions row (inside the group-commit transaction of its event-loop turn, WAL fdatasync before the answer); routing matches no destination (filtered offer), so no outbox row.',
      '- held-outbox: each postback writes the conversions row AND one pending deliveries (outbox) row in the same transaction; the delivery engine is not started, so nothing is sent.',
      '',
      ...table(SERVER_HEADER, [
        serverRow('bare Koa (JSON, no storage)', base.bare, base),
        serverRow('durable Koa (append + group fdatasync)', base.durable, base),
        serverRow('gateway no-delivery (conversion row)', none, base),
        serverRow('gateway held-outbox (conversion + outbox row)', held, base),
      ]),
      '',
      SERVER_LEGEND,
      '',
      `- intake with outbox write (held-outbox): **${fmtPct(vsDurable(held))}** of durable Koa (target ≥ ${TARGET_VS_DURABLE * 100} %): ${verdict(vsDurable(held) >= TARGET_VS_DURABLE)}; per round: ${perRound(held)}; ${fmtPct(rpsRatio(held, base.bare))} of bare Koa`,
      `- intake without delivery rows (no-delivery): **${fmtPct(vsDurable(none))}** of durable Koa; per round: ${perRound(none)}; ${fmtPct(rpsRatio(none, base.bare))} of bare Koa`,
      `- p99 at ${settings.connections} connections: held-outbox **${fmtMs(p99(held))} ms**, no-delivery ${fmtMs(p99(none))} ms (target ≤ ${TARGET_P99_MS} ms): ${verdict(p99(held) <= TARGET_P99_MS)}; durable Koa ${fmtMs(p99(base.durable))} ms`,
      `- CPU-cost ratio (baseline CPU/req ÷ gateway CPU/req: the throughput ratio if both were CPU-bound on their core): held-outbox ${fmtPct(cpuRatio(held, base.durable))} of durable Koa, ${fmtPct(cpuRatio(held, base.bare))} of bare Koa; no-delivery ${fmtPct(cpuRatio(none, base.durable))} of durable Koa`,
      ...commits('held-outbox', held),
      ...commits('no-delivery', none),
    ],
  };
}
