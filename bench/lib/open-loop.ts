import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { ChildServer } from './child';
import type { ServerStats } from './child-side';
import { percentile, type LoadSpec } from './load';
import { machineUse, snapshot, type MachineUse } from './machine';

/**
 * An open-loop load generator: requests are sent at a FIXED RATE whatever the server does (not
 * "next request when the last answered", which hides a stall: coordinated omission), and each
 * latency is measured from the request's INTENDED send time, so a slow answer also counts against
 * the requests queued behind it. Keep-alive connections through an undici Pool
 * (https://undici.nodejs.org/#/docs/api/Pool); a request finding every connection busy waits in the
 * pool's queue, and that wait is part of its latency.
 */
export interface OpenLoopSpec extends LoadSpec {
  /** Requests per second. */
  rate: number;
  durationS: number;
  /** Upper bound of keep-alive connections (a server answering in time needs only a few). */
  connections?: number;
}

export interface OpenLoopRun {
  sent: number;
  ok: number;
  bad: number;
  statuses: Record<string, number>;
  /** Latency from the intended send time, sorted, ms. */
  latencies: Float64Array;
  /** Latency from the moment the request was handed to undici, sorted, ms (the server's part). */
  service: Float64Array;
  /** How late the generator's timer sent requests, p99 ms: what it adds to the figures above. */
  sendLagP99: number;
  durationS: number;
  /** Latency of request i (sent at `startedAt + i * 1000 / rate`, epoch ms), unsorted: for the BENCH_DIAG timeline. */
  byIntended: Float64Array;
  startedAt: number;
}

export async function openLoop(url: string, spec: OpenLoopSpec): Promise<OpenLoopRun> {
  const pool = new Pool(url, { connections: spec.connections ?? 64, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.round(spec.rate * spec.durationS);
  const lat = new Float64Array(total);
  const svc = new Float64Array(total);
  const lag = new Float64Array(total);
  const statuses: Record<string, number> = {};
  let ok = 0;
  let bad = 0;
  let done = 0;
  let sent = 0;
  const interval = 1000 / spec.rate;
  const t0 = performance.now() + 5;

  const sendOne = (i: number, intended: number) => {
    const start = performance.now();
    lag[i] = start - intended;
    const path = spec.nextPath ? spec.nextPath() : (spec.path ?? '/');
    pool
      .request({ method: (spec.method ?? 'GET') as 'GET', path, headers: spec.headers, body: spec.body })
      .then(async (res) => {
        await res.body.dump();
        const end = performance.now();
        lat[i] = end - intended;
        svc[i] = end - start;
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode === spec.expectStatus) ok++;
        else bad++;
      })
      .catch(() => {
        lat[i] = performance.now() - intended;
        svc[i] = lat[i] as number;
        statuses.errors = (statuses.errors ?? 0) + 1;
        bad++;
      })
      .finally(() => {
        done++;
      });
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + sent * interval <= now) {
        sendOne(sent, t0 + sent * interval);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + sent * interval - performance.now())));
      else resolve();
    };
    setTimeout(tick, 5);
  });
  const deadline = performance.now() + 10_000;
  while (done < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const durationS = (performance.now() - t0) / 1000;
  await pool.close();
  const n = done;
  return {
    sent,
    ok,
    bad: bad + (total - done),
    statuses,
    latencies: lat.slice(0, n).sort(),
    service: svc.slice(0, n).sort(),
    sendLagP99: percentile(lag.slice(0, sent).sort(), 99),
    durationS,
    byIntended: lat,
    startedAt: performance.timeOrigin + t0,
  };
}

export interface FixedRateMeasurement {
  rate: number;
  ok: number;
  bad: number;
  statuses: Record<string, number>;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Same percentiles from the actual send time. */
  serviceP99: number;
  sendLagP99: number;
  serverCpuUsPerReq: number;
  server: ServerStats;
  machine: MachineUse | null;
  run: OpenLoopRun;
}

/** A short warm-up at the same rate, then the measured run between the child's `mark` and `stats`. */
export async function measureFixedRate(server: ChildServer, spec: OpenLoopSpec, warmupS: number): Promise<FixedRateMeasurement> {
  if (warmupS > 0) await openLoop(server.url, { ...spec, durationS: warmupS });
  await server.mark();
  const before = snapshot();
  const run = await openLoop(server.url, spec);
  const after = snapshot();
  const stats = await server.stats();
  return {
    rate: spec.rate,
    ok: run.ok,
    bad: run.bad,
    statuses: run.statuses,
    p50: percentile(run.latencies, 50),
    p99: percentile(run.latencies, 99),
    p999: percentile(run.latencies, 99.9),
    max: percentile(run.latencies, 100),
    serviceP99: percentile(run.service, 99),
    sendLagP99: run.sendLagP99,
    serverCpuUsPerReq: run.ok > 0 ? (stats.cpuMs * 1000) / run.ok : NaN,
    server: stats,
    machine: machineUse(before, after, stats.cpuMs),
    run,
  };
}
