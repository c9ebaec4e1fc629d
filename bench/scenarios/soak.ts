import { readFileSync } from 'node:fs';
import { bundleServer, launcherSettings } from '../lib/bundle';
import { startServer } from '../lib/child';
import { fmtMs, fmtRps, fmtUs, table, verdict } from '../lib/format';
import { openLoop } from '../lib/open-loop';
import { percentile } from '../lib/load';
import { progress, settings } from '../lib/settings';
import { intakeSpec, redirectSpec, storeClick } from '../lib/workloads';

/**
 * Issue 12 target: RSS ≤ 150 MB after 10 minutes of sustained load. One gateway (held-outbox:
 * every postback writes its conversion and one pending outbox row, so the ledger grows as in
 * production while deliveries wait) under a fixed rate for BENCH_SOAK_DURATION seconds (600):
 * BENCH_RATE / 2 postbacks and BENCH_RATE / 2 redirects per second, open loop. RSS is read from
 * the server child at the start and after each of BENCH_SOAK_SEGMENTS (10) segments.
 * RSS does not depend on the machine's load the way throughput does, so one run tells. The
 * server runs as production does, bundled and under plain node (bench/lib/bundle.ts);
 * BENCH_SOAK_TSX=1 runs it under the tsx loader instead. The server gets the node flags and
 * environment of the production launcher (bin/closeloop-node: MALLOC_ARENA_MAX, V8 heap sizes);
 * BENCH_SOAK_LAUNCHER=0 starts it without them (the "before" of bench/README.md "Memory (h-rss)").
 * BENCH_SOAK_ENV="NAME=value …" adds variables to the server's environment and
 * BENCH_SOAK_NODE_ARGS="--flag=value …" node flags after the launcher's (a variant to compare). Each row also splits the RSS by where it is, read from the
 * child's /proc/<pid>/smaps (https://docs.kernel.org/filesystems/proc.html): file-backed pages
 * (node's binary, ICU, better-sqlite3's .so), V8's 256 KiB heap pages (both isolates), glibc's
 * brk heap (native malloc of the main arena) and the rest of the anonymous memory (the other
 * malloc arena, thread stacks, V8's code range and large objects).
 */
const TARGET_RSS_MB = 150;
const num = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
};
const durationS = num('BENCH_SOAK_DURATION', 600);
const segments = Math.max(2, Math.round(num('BENCH_SOAK_SEGMENTS', 10)));
const rate = num('BENCH_RATE', 1000);
// After the launcher's flags, so a variant's value of the same flag wins (V8 takes the last one).
const variantArgs = (process.env.BENCH_SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean);
const extraEnv = Object.fromEntries(
  (process.env.BENCH_SOAK_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

/** The child's resident memory by kind, MB, from /proc/<pid>/smaps (Linux; zeros elsewhere). */
export function memoryMap(pid: number): { file: number; v8Pages: number; brk: number; otherAnon: number } {
  const out = { file: 0, v8Pages: 0, brk: 0, otherAnon: 0 };
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return out;
  }
  let kind: keyof typeof out = 'otherAnon';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const size = Number.parseInt(head[2] as string, 16) - Number.parseInt(head[1] as string, 16);
      const name = head[5] as string;
      if (name === '[heap]') kind = 'brk';
      else if (head[4] !== '0' || name.startsWith('/')) kind = 'file';
      else if (name === '' && size === 256 * 1024 && head[3] === 'rw-p') kind = 'v8Pages';
      else kind = 'otherAnon';
    } else if (line.startsWith('Rss:')) out[kind] += Number(line.split(/\s+/)[1]) / 1024;
  }
  return out;
}

const byKind = (pid: number) => {
  const m = memoryMap(pid);
  return [m.file, m.v8Pages, m.brk, m.otherAnon].map((mb) => mb.toFixed(1)).join(' / ');
};

export async function run(): Promise<{ name: string; lines: string[] }> {
  const script = new URL('../servers/gateway.ts', import.meta.url);
  const tsx = process.env.BENCH_SOAK_TSX === '1';
  const launcher = process.env.BENCH_SOAK_LAUNCHER === '0' ? null : launcherSettings();
  const server = await startServer(tsx ? script : await bundleServer(script), {
    label: 'gateway soak',
    plainNode: !tsx,
    nodeArgs: ['--expose-gc', ...(launcher?.nodeArgs ?? []), ...variantArgs],
    env: { BENCH_GATEWAY_VARIANT: 'held-outbox', ...launcher?.env, ...extraEnv },
  });
  const rows: Array<Array<string | number>> = [];
  const rss: number[] = [];
  let afterGc: { rssMb: number; heapUsedMb: number } | null = null;
  try {
    const intake = intakeSpec(await storeClick(server));
    const redirect = redirectSpec();
    await server.mark();
    const start = await server.stats();
    rss.push(start.rssMb);
    rows.push([
      'start',
      '0',
      '–',
      '–',
      '–',
      '–',
      start.rssMb.toFixed(1),
      start.heapUsedMb.toFixed(1),
      start.heapTotalMb.toFixed(1),
      start.externalMb.toFixed(1),
      byKind(server.pid),
      0,
      0,
      0,
    ]);
    const segS = durationS / segments;
    let elapsed = 0;
    for (let i = 1; i <= segments; i++) {
      await server.mark();
      const [a, b] = await Promise.all([
        openLoop(server.url, { ...intake, rate: rate / 2, durationS: segS }),
        openLoop(server.url, { ...redirect, rate: rate / 2, durationS: segS }),
      ]);
      const s = await server.stats();
      elapsed += segS;
      rss.push(s.rssMb);
      const ok = a.ok + b.ok;
      rows.push([
        `segment ${i}`,
        `${Math.round(elapsed)}`,
        fmtRps(ok / (s.wallMs / 1000)),
        fmtMs(percentile(a.latencies, 99)),
        fmtMs(percentile(b.latencies, 99)),
        fmtUs((s.cpuMs * 1000) / ok),
        s.rssMb.toFixed(1),
        s.heapUsedMb.toFixed(1),
        s.heapTotalMb.toFixed(1),
        s.externalMb.toFixed(1),
        byKind(server.pid),
        fmtRps(Number(s.extra.conversionRows)),
        fmtRps(Number(s.extra.kvRows)),
        a.bad + b.bad,
      ]);
      progress(`soak ${Math.round(elapsed)} / ${durationS} s: RSS ${s.rssMb.toFixed(1)} MB, heap ${s.heapUsedMb.toFixed(1)} MB`);
    }
    // What of the end figure is live: after a full GC, heap used is what the process holds on to.
    const g = await server.gc();
    afterGc = g;
    rows.push([
      'end, after a full GC',
      `${Math.round(elapsed)}`,
      '–',
      '–',
      '–',
      '–',
      g.rssMb.toFixed(1),
      g.heapUsedMb.toFixed(1),
      g.heapTotalMb.toFixed(1),
      g.externalMb.toFixed(1),
      byKind(server.pid),
      '–',
      '–',
      '–',
    ]);
  } finally {
    await server.stop();
  }
  const end = rss[rss.length - 1] as number;
  const middle = rss[Math.round(segments / 2)] as number;
  return {
    name: `soak: RSS of the gateway under ${fmtRps(rate)} req/s for ${Math.round(durationS)} s`,
    lines: [
      `One gateway child (held-outbox, SQLite, WAL fdatasync per group commit), ${fmtRps(rate / 2)} postbacks/s (unique tx_id, a stored click's id) + ` +
        `${fmtRps(rate / 2)} redirects/s, open loop (bench/lib/open-loop.ts), ${segments} segments of ${Math.round(durationS / segments)} s; ` +
        `RSS and V8 heap read in the child after each. ${tsx ? 'Server under the tsx loader (BENCH_SOAK_TSX=1).' : 'Server bundled (esbuild, as `npm run build`) and run with plain node, as production runs.'} ${launcher ? `Node flags and environment of bin/closeloop-node, as production: ${[...Object.entries(launcher.env).map(([k, v]) => `${k}=${v}`), ...launcher.nodeArgs].join(' ')}.` : "Without the launcher's flags (BENCH_SOAK_LAUNCHER=0)."} ${settings.pin ? 'Server pinned to its own cpu.' : ''}` +
        (Object.keys(extraEnv).length || variantArgs.length
          ? ` Variant: ${[...Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`), ...variantArgs].join(' ')}.`
          : ''),
      '',
      ...table(
        [
          'when',
          'at s',
          'answered/s',
          'postback p99 ms',
          'redirect p99 ms',
          'server CPU µs/req',
          'RSS MB',
          'heap used MB',
          'heap total MB',
          'external MB',
          'RSS MB: file / V8 pages / brk / other anon',
          'conversions',
          'click rows',
          'bad',
        ],
        rows,
      ),
      '',
      `- RSS at start ${(rss[0] as number).toFixed(1)} MB, middle ${middle.toFixed(1)} MB, end **${end.toFixed(1)} MB** (target ≤ ${TARGET_RSS_MB} MB): ${verdict(end <= TARGET_RSS_MB)}` +
        (afterGc
          ? `; after a full GC: RSS ${afterGc.rssMb.toFixed(1)} MB, V8 heap used ${afterGc.heapUsedMb.toFixed(1)} MB (the rest of the RSS is heap V8 keeps reserved, native memory and code)`
          : ''),
    ],
  };
}
