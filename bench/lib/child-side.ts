import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What a server child measured over the window between `mark` and `stats`. */
export interface ServerStats {
  /** User + system CPU time of the child, in ms. */
  cpuMs: number;
  /** Event-loop utilisation 0..1: near 1 means the server's one thread was the bottleneck. */
  elu: number;
  wallMs: number;
  /** Resident set size and V8 heap in use when `stats` was asked, MB (absolute, not a delta). */
  rssMb: number;
  heapUsedMb: number;
  /** V8 heap reserved (used or not) and memory outside it held by JS objects (Buffers): what of the RSS is V8's. */
  heapTotalMb: number;
  externalMb: number;
  /** Server-specific counters (rows written, group-commit batches…), as deltas where meaningful. */
  extra: Record<string, number | string>;
}

export interface ChildSideOptions {
  /** Counters read at mark and at stats; numeric ones are reported as deltas (except names starting with "max"). */
  counters?: () => Record<string, number | string>;
  /** Called at mark: reset window-scoped measurements. */
  onMark?: () => void;
  /** Read at stats and reported as they are (window-scoped figures the server keeps itself). */
  gauges?: () => Record<string, number | string>;
  close?: () => Promise<void>;
}

/**
 * The child's half of bench/lib/child.ts: reports readiness with the listening port over IPC,
 * answers `mark`/`stats`, and closes on SIGTERM. Only for server scripts under bench/servers/.
 */
export function serveBench(server: Server, options: ChildSideOptions = {}): void {
  const send = (msg: Record<string, unknown>) => process.send?.(msg);
  let cpu0 = process.cpuUsage();
  let elu0 = performance.eventLoopUtilization();
  let t0 = performance.now();
  let c0 = options.counters?.() ?? {};

  // BENCH_CPU_PROFILE=FILE: a V8 CPU profile of exactly the measured window (mark → stats).
  const profileFile = process.env.BENCH_CPU_PROFILE;
  const session = profileFile ? new Session() : null;
  if (session) session.connect();
  const post = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => session?.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));

  process.on('message', async (msg: { type?: string }) => {
    if (session && msg.type === 'mark') {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
    }
    if (session && profileFile && msg.type === 'stats') {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(profileFile, JSON.stringify(profile));
    }
    if (msg.type === 'mark') {
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
      t0 = performance.now();
      c0 = options.counters?.() ?? {};
      options.onMark?.();
      send({ type: 'marked' });
    } else if (msg.type === 'stats' || msg.type === 'gc') {
      if (msg.type === 'gc') (globalThis as { gc?: () => void }).gc?.();
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      const c1 = options.counters?.() ?? {};
      const extra: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(c1)) {
        const before = c0[k];
        extra[k] = typeof v === 'number' && typeof before === 'number' && !k.startsWith('max') ? v - before : v;
      }
      Object.assign(extra, options.gauges?.() ?? {});
      const mem = process.memoryUsage();
      const stats: ServerStats = {
        cpuMs: (cpu.user + cpu.system) / 1000,
        elu: elu.utilization,
        wallMs: performance.now() - t0,
        rssMb: mem.rss / 1_048_576,
        heapUsedMb: mem.heapUsed / 1_048_576,
        heapTotalMb: mem.heapTotal / 1_048_576,
        externalMb: mem.external / 1_048_576,
        extra,
      };
      send({ type: 'stats', stats });
    }
  });

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    server.closeAllConnections();
    const closed = new Promise<void>((r) => server.close(() => r()));
    Promise.all([closed, options.close?.()]).then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The parent died: do not linger.
  process.on('disconnect', shutdown);

  const ready = () => send({ type: 'ready', port: (server.address() as AddressInfo).port });
  if (server.listening) ready();
  else server.once('listening', ready);
}
