import { fmtMs, fmtPct, fmtRps, fmtUs } from './format';
import type { Measurement } from './load';
import { med } from './rounds';

/** Columns of an HTTP server comparison (redirect, intake, and any later server scenario). */
export const SERVER_HEADER = [
  'server',
  'req/s',
  'p50 ms',
  'p99 ms',
  'server CPU µs/req',
  'server ELU',
  'load-gen CPU',
  'other CPU (max)',
  'req/s per round',
  'bad',
  'vs bare Koa',
  'vs durable Koa',
];

/** The two baselines every server comparison is measured against, in the same run. */
export interface Baselines {
  /** bench/servers/bare-koa.ts: no durable work at all, so not the limit of a durable answer. */
  bare: Measurement[];
  /** bench/servers/durable-koa.ts: an append + group fdatasync per event-loop turn, the limit of a durable answer. */
  durable: Measurement[];
}

/** Median req/s of `ms` over the median req/s of a baseline. */
export function rpsRatio(ms: Measurement[], base: Measurement[]): number {
  return med(ms, (m) => m.rps) / med(base, (m) => m.rps);
}

/** One row: medians over the runs, the per-round req/s, and the worst foreign CPU use seen. */
export function serverRow(label: string, ms: Measurement[], base: Baselines): Array<string | number> {
  const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} %` : '–');
  return [
    label,
    fmtRps(med(ms, (m) => m.rps)),
    fmtMs(med(ms, (m) => m.p50)),
    fmtMs(med(ms, (m) => m.p99)),
    fmtUs(med(ms, (m) => m.serverCpuUsPerReq)),
    med(ms, (m) => m.server.elu).toFixed(2),
    pct(med(ms, (m) => m.machine?.loadgenPct ?? NaN)),
    pct(Math.max(...ms.map((m) => (m.machine ? m.machine.otherPct + m.machine.stealPct : NaN)))),
    ms.map((m) => fmtRps(m.rps)).join(' / '),
    ms.reduce((s, m) => s + m.bad, 0),
    fmtPct(rpsRatio(ms, base.bare)),
    fmtPct(rpsRatio(ms, base.durable)),
  ];
}

export const SERVER_LEGEND =
  "server ELU: event-loop utilisation of the server child (≈1 = its core is the limit). load-gen CPU: autocannon's process, % of one core " +
  '(≈100 % = the load generator, not the server, is the limit). other CPU: busy time of everything else on the machine plus VM steal, % of one core ' +
  "(other engineers' test runs; high values make that run unreliable).";

/**
 * A gateway run's group-commit figures (bench/servers/gateway.ts gauges), one line per run. `requests`:
 * the requests whose rows the window wrote (conversions, clicks). A job is no longer one request:
 * the postbacks of a turn are one job (recordMany), the clicks of a turn one upsert.
 */
export function commitSummary(m: Measurement, requests: number): string {
  const e = m.server.extra;
  const commits = Number(e.batches);
  const jobs = Number(e.flushJobs);
  const blocked = Number(e.flushMsTotal) / m.server.wallMs;
  return (
    `${fmtRps(commits)} commits for ${fmtRps(requests)} requests (avg ${(requests / commits).toFixed(1)}/commit) in ${fmtRps(jobs)} jobs (max ${e.maxBatch} in a commit); ` +
    `flush on the event loop (statements + COMMIT) p50 ${fmtMs(Number(e.flushMsP50))} ms, p99 ${fmtMs(Number(e.flushMsP99))} ms, ` +
    `max ${fmtMs(Number(e.flushMsMax))} ms, ${fmtUs((1000 * Number(e.flushMsTotal)) / requests)} µs per request; event loop blocked in flushes ${(100 * blocked).toFixed(0)} % of the window`
  );
}
