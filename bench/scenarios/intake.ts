import { startServer } from '../lib/child';
import { fmtPct, fmtRps, table, verdict } from '../lib/format';
import { measure, type Measurement } from '../lib/load';
import { interleave, med } from '../lib/rounds';
import { commitSummary, SERVER_HEADER, SERVER_LEGEND, serverRow } from '../lib/report';
import { settings } from '../lib/settings';
import { intakeSpec, storeClick } from '../lib/workloads';
import type { GatewayVariant } from '../servers/shared';

/**
 * Issue target: postback intake ≥ 70 % of bare Koa's req/s, with the durable conversion + outbox
 * write. Every request carries a unique tx_id (a new conversion each time, never a duplicate)
 * and the click id of a click stored beforehand, so intake also does its click lookup.
 */
const TARGET_RATIO = 0.7;

const servers = {
  baseline: new URL('../servers/bare-koa.ts', import.meta.url),
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
  const labels = { base: 'bare Koa', none: 'gateway no-delivery', held: 'gateway held-outbox' };
  const runs = await interleave([
    { label: labels.base, once: () => once(labels.base, servers.baseline) },
    { label: labels.none, once: () => once(labels.none, servers.gateway, 'no-delivery') },
    { label: labels.held, once: () => once(labels.held, servers.gateway, 'held-outbox') },
  ]);
  const base = runs.get(labels.base) as Measurement[];
  const none = runs.get(labels.none) as Measurement[];
  const held = runs.get(labels.held) as Measurement[];
  const baseRps = med(base, (m) => m.rps);
  const ratio = (ms: Measurement[]) => med(ms, (m) => m.rps) / baseRps;
  const cpuRatio = (ms: Measurement[]) => med(base, (m) => m.serverCpuUsPerReq) / med(ms, (m) => m.serverCpuUsPerReq);
  const perRound = (ms: Measurement[]) => ms.map((m, i) => fmtPct(m.rps / (base[i] as Measurement).rps)).join(', ');

  const commits = (label: string, ms: Measurement[]) => [
    `- group commit, ${label}, per round:`,
    ...ms.map(
      (m, i) =>
        `  ${i + 1}. ${fmtRps(Number(m.server.extra.conversionRows))} conversions + ${fmtRps(Number(m.server.extra.deliveryRows))} outbox rows; ${commitSummary(m)}`,
    ),
  ];
  return {
    name: 'intake: GET /postback → 200, gateway with durable conversion (+ outbox) write vs bare Koa',
    lines: [
      `${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.warmupS} s warm-up + ${settings.durationS} s measured per run, ` +
        `${settings.rounds} interleaved rounds, medians. Unique tx_id per request; click_id = a click stored before the run.`,
      '',
      '- no-delivery: each postback writes the conversions row (one savepoint inside the group-commit transaction of its event-loop turn, synchronous=FULL); routing matches no destination (filtered offer), so no outbox row.',
      '- held-outbox: each postback writes the conversions row AND one pending deliveries (outbox) row in the same savepoint; the delivery engine is not started, so nothing is sent.',
      '',
      ...table(SERVER_HEADER, [
        serverRow('bare Koa (JSON, no storage)', base, '100 %'),
        serverRow('gateway no-delivery (conversion row)', none, fmtPct(ratio(none))),
        serverRow('gateway held-outbox (conversion + outbox row)', held, fmtPct(ratio(held))),
      ]),
      '',
      SERVER_LEGEND,
      '',
      `- intake with outbox write (held-outbox): **${fmtPct(ratio(held))}** of bare Koa (target ≥ ${TARGET_RATIO * 100} %): ${verdict(ratio(held) >= TARGET_RATIO)}; per round: ${perRound(held)}`,
      `- intake without delivery rows (no-delivery): **${fmtPct(ratio(none))}** of bare Koa (target ≥ ${TARGET_RATIO * 100} %): ${verdict(ratio(none) >= TARGET_RATIO)}; per round: ${perRound(none)}`,
      `- CPU-cost ratio (bare Koa CPU/req ÷ gateway CPU/req: the throughput ratio if both were CPU-bound on their core): held-outbox ${fmtPct(cpuRatio(held))}, no-delivery ${fmtPct(cpuRatio(none))}`,
      ...commits('held-outbox', held),
      ...commits('no-delivery', none),
    ],
  };
}
