import { startServer } from './lib/child';
import { fmtMs, fmtRps } from './lib/format';
import { measure } from './lib/load';
import { med } from './lib/rounds';
import { pinSelf, progress } from './lib/settings';
import { intakeSpec, redirectSpec, storeClick } from './lib/workloads';

/**
 * Server CPU µs per request of the gateway for one path, RUNS fresh servers in a row: the figure of
 * bench/README.md's "change by change" table (CPU time per request survives a busy machine far
 * better than req/s). Measure before and after a change back-to-back, same conditions:
 *   npx tsx bench/cpu-probe.ts intake-held|intake-none|redirect [runs=3] [seconds=8]
 */
const paths = {
  'intake-held': { variant: 'held-outbox', intake: true },
  'intake-none': { variant: 'no-delivery', intake: true },
  redirect: { variant: 'no-delivery', intake: false },
} as const;
const name = process.argv[2] as keyof typeof paths;
const p = paths[name];
if (!p) {
  process.stderr.write(`usage: tsx bench/cpu-probe.ts ${Object.keys(paths).join('|')} [runs] [seconds]\n`);
  process.exit(2);
}
const runs = Number(process.argv[3] ?? 3);
const seconds = Number(process.argv[4] ?? 8);
pinSelf();
const ms = [];
for (let i = 0; i < runs; i++) {
  const server = await startServer(new URL('./servers/gateway.ts', import.meta.url), { label: name, env: { BENCH_GATEWAY_VARIANT: p.variant } });
  try {
    const m = await measure(server, p.intake ? intakeSpec(await storeClick(server)) : redirectSpec(), { durationS: seconds });
    progress(`${name} run ${i + 1}: ${Math.round(m.serverCpuUsPerReq)} µs/req, ${fmtRps(m.rps)} req/s, p99 ${fmtMs(m.p99)} ms`);
    ms.push(m);
  } finally {
    await server.stop();
  }
}
const per = ms.map((m) => Math.round(m.serverCpuUsPerReq)).join(' / ');
process.stdout.write(
  `${name}: server CPU ${Math.round(med(ms, (m) => m.serverCpuUsPerReq))} µs/req (runs ${per}), ${fmtRps(med(ms, (m) => m.rps))} req/s, p99 ${fmtMs(med(ms, (m) => m.p99))} ms, ` +
    `other CPU max ${Math.round(Math.max(...ms.map((m) => (m.machine ? m.machine.otherPct + m.machine.stealPct : 0))))} %\n`,
);
