import { startServer } from './lib/child';
import { measure } from './lib/load';
import { med } from './lib/rounds';
import { pinSelf, progress } from './lib/settings';
import { intakeSpec, redirectSpec } from './lib/workloads';

/**
 * Server CPU µs/request of servers/bare-shapes.ts's three shapes (plain node:http, bare Koa, Koa
 * shaped like the gateway's stack) on both hot paths, fresh servers alternated http, koa, stack,
 * http, … for RUNS rounds; medians. What moving the hot routes off Koa could save at most.
 *   flock /work/wt/bench.lock npx tsx bench/shape-probe.ts [runs=3] [seconds=5]
 */
const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const shapes = ['http', 'koa', 'stack'] as const;
pinSelf();
const out: Record<string, number[]> = {};
for (let r = 0; r < runs; r++) {
  for (const path of ['intake', 'redirect'] as const) {
    for (const shape of shapes) {
      const server = await startServer(new URL('./servers/bare-shapes.ts', import.meta.url), { label: shape, env: { BENCH_SHAPE: shape } });
      try {
        const m = await measure(server, path === 'intake' ? intakeSpec() : redirectSpec(), { durationS: seconds, warmupS: 2 });
        const key = `${path} ${shape}`;
        out[key] = [...(out[key] ?? []), m.serverCpuUsPerReq];
        progress(
          `${key} run ${r + 1}: ${Math.round(m.serverCpuUsPerReq)} µs/req, ${Math.round(m.rps)} req/s, other CPU ${m.machine ? Math.round(m.machine.otherPct + m.machine.stealPct) : '?'} %`,
        );
      } finally {
        await server.stop();
      }
    }
  }
}
const load = (await import('node:os'))
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
process.stdout.write(`load ${load}\n`);
for (const [key, xs] of Object.entries(out))
  process.stdout.write(`${key.padEnd(16)} ${Math.round(med(xs, (x) => x))} µs/req (runs ${xs.map(Math.round).join(' / ')})\n`);
