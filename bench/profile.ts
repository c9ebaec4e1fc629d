import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/child';
import { summarise } from './lib/cpuprofile-summary';
import { fmtMs, fmtRps } from './lib/format';
import { measure } from './lib/load';
import { pinSelf, progress, settings } from './lib/settings';
import { intakeSpec, redirectSpec, storeClick } from './lib/workloads';

/**
 * Where a server's CPU goes under the bench load: one warm-up + measured run with a V8 CPU profile
 * of exactly the measured window, then a self-time summary. Not part of `npm run bench`.
 *   npx tsx bench/profile.ts redirect|intake-none|intake-held|redirect-bare|intake-bare [seconds]
 * The profile is kept in bench/.profiles/ (git-ignored) for Chrome DevTools / speedscope.
 */
const workloads = {
  redirect: { script: 'gateway.ts', variant: 'no-delivery', intake: false },
  'intake-none': { script: 'gateway.ts', variant: 'no-delivery', intake: true },
  'intake-held': { script: 'gateway.ts', variant: 'held-outbox', intake: true },
  'redirect-bare': { script: 'bare-koa.ts', variant: '', intake: false },
  'intake-bare': { script: 'bare-koa.ts', variant: '', intake: true },
} as const;

const name = process.argv[2] as keyof typeof workloads;
const w = workloads[name];
if (!w) {
  process.stderr.write(`usage: tsx bench/profile.ts ${Object.keys(workloads).join('|')} [seconds]\n`);
  process.exit(2);
}
const seconds = Number(process.argv[3] ?? settings.durationS);
const dir = join(fileURLToPath(new URL('.', import.meta.url)), '.profiles');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);

pinSelf();
const server = await startServer(new URL(`./servers/${w.script}`, import.meta.url), {
  label: name,
  env: { BENCH_CPU_PROFILE: file, ...(w.variant ? { BENCH_GATEWAY_VARIANT: w.variant } : {}) },
});
try {
  const spec = w.intake ? intakeSpec(w.script === 'gateway.ts' ? await storeClick(server) : undefined) : redirectSpec();
  const m = await measure(server, spec, { durationS: seconds });
  progress(`profile written to ${file}`);
  process.stdout.write(
    [
      `${name}: ${fmtRps(m.rps)} req/s, p50 ${fmtMs(m.p50)} ms, p99 ${fmtMs(m.p99)} ms, server CPU ${Math.round(m.serverCpuUsPerReq)} µs/req, ELU ${m.server.elu.toFixed(2)}, ` +
        `other CPU ${m.machine ? Math.round(m.machine.otherPct + m.machine.stealPct) : '?'} %`,
      `counters: ${JSON.stringify(m.server.extra)}`,
      ...summarise(JSON.parse(readFileSync(file, 'utf8')), 30),
    ].join('\n') + '\n',
  );
} finally {
  await server.stop();
}
