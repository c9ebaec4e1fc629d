import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { table } from './lib/format';
import { probeFsync } from './lib/fsync-probe';
import { pinSelf, progress, settings } from './lib/settings';

/**
 * `npm run bench [-- word…]`: runs every bench/scenarios/*.ts (alphabetical; with words, only files
 * whose name contains one of them). A scenario module exports
 *   export async function run(): Promise<{ name: string; lines: string[] }>
 * and prints nothing itself (progress may go to stderr); its lines are markdown. The report goes to
 * stdout and to bench/results/latest.md. Not part of `npm test`.
 */
interface ScenarioResult {
  name: string;
  lines: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const scenarioDir = join(here, 'scenarios');
const resultsDir = join(here, 'results');
const words = process.argv.slice(2).filter((a) => a !== '--');

const files = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
  .sort()
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)));
if (files.length === 0) {
  process.stderr.write(`no scenario in ${scenarioDir} matches ${words.join(', ') || '(any)'}\n`);
  process.exit(2);
}

const pinned = pinSelf();
const fsync = probeFsync();
const started = new Date();
const header = [
  '# Closeloop benchmark',
  '',
  `- run: ${started.toISOString()}; scenarios: ${files.join(', ')}`,
  `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; ${process.platform} ${process.arch}`,
  pinned
    ? `- pinning: load generator (this process) on cpu ${settings.loadCpu}, each server child on cpu ${settings.serverCpu} (taskset)`
    : '- pinning: none (BENCH_PIN=0, one core, or no taskset): load generator and server share the cores',
  `- load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (anything above ~0.5 means other work shares the two cores; see each table's "other CPU")`,
  `- fsync (4 KiB append + fdatasync in ${tmpdir()}): p50 ${fsync.p50.toFixed(2)} ms, p99 ${fsync.p99.toFixed(2)} ms`,
  '- figures are ratios against a baseline measured in the same run: absolute numbers drift between runs (±20 % here).',
];

const summary: Array<[string, string, string, string]> = [];
const sections: string[] = [];
let failed = 0;
for (const file of files) {
  const t0 = Date.now();
  progress(`scenario ${file}`);
  try {
    const mod = (await import(pathToFileURL(join(scenarioDir, file)).href)) as { run?: () => Promise<ScenarioResult> };
    if (typeof mod.run !== 'function') throw new Error('does not export `async function run()`');
    const result = await mod.run();
    sections.push(`## ${result.name}`, `_${file}_`, '', ...result.lines, '');
    summary.push([file, result.name, 'ok', `${Math.round((Date.now() - t0) / 1000)} s`]);
  } catch (err) {
    failed++;
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    sections.push(`## ${file}: FAILED`, '', '```', message, '```', '');
    summary.push([file, '–', 'FAILED', `${Math.round((Date.now() - t0) / 1000)} s`]);
    progress(`scenario ${file} failed: ${message}`);
  }
}

header.push(
  `- load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
  '',
);
const report = [...header, ...table(['scenario', 'what', 'status', 'took'], summary), '', ...sections].join('\n');
process.stdout.write(`\n${report}\n`);
mkdirSync(resultsDir, { recursive: true });
const partial = words.length > 0 ? `<!-- partial run: npm run bench -- ${words.join(' ')} -->\n` : '';
writeFileSync(
  join(resultsDir, 'latest.md'),
  `<!-- Written by \`npm run bench\`; may be committed as the last measured figures. Do not edit by hand. -->\n${partial}${report}\n`,
);
progress(`report written to ${join(resultsDir, 'latest.md')}`);
process.exit(failed > 0 ? 1 : 0);
