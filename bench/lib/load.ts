import autocannon, { type AutocannonRequest } from 'autocannon';
import type { ChildServer } from './child';
import type { ServerStats } from './child-side';
import { machineUse, snapshot, type MachineUse } from './machine';
import { settings } from './settings';

export interface LoadSpec {
  /** Fixed request path, e.g. `/c/demo?gclid=x`. */
  path?: string;
  /** Or a path per request (unique ids): called once per request sent. */
  nextPath?: () => string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The status every answer must have; others are counted as `bad`. */
  expectStatus: number;
}

export interface Measurement {
  /** Answers with the expected status per second of the measured run. */
  rps: number;
  /** Latency in ms of every answer of the measured run (load-generator side, exact, not bucketed). */
  p50: number;
  p99: number;
  max: number;
  ok: number;
  /** Answers with another status, plus connection errors and timeouts. */
  bad: number;
  statuses: Record<string, number>;
  durationS: number;
  /** CPU time the server spent per expected answer, in µs (drift-resistant: independent of the load generator). */
  serverCpuUsPerReq: number;
  server: ServerStats;
  /** CPU use of the load generator and of everything else on the machine during the measured run. */
  machine: MachineUse | null;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface RawRun {
  ok: number;
  bad: number;
  statuses: Record<string, number>;
  durationS: number;
  latencies: Float64Array;
}

/** One autocannon run; latencies are collected from its `response` events (float ms). */
export async function fire(url: string, spec: LoadSpec, durationS: number, connections = settings.connections): Promise<RawRun> {
  const request: AutocannonRequest = { method: spec.method ?? 'GET', path: spec.path ?? '/' };
  if (spec.headers) request.headers = spec.headers;
  if (spec.body !== undefined) request.body = spec.body;
  if (spec.nextPath) {
    const next = spec.nextPath;
    request.setupRequest = (req) => {
      req.path = next();
      return req;
    };
  }
  let lat = new Float64Array(1 << 16);
  let n = 0;
  const instance = autocannon({
    url,
    connections,
    duration: durationS,
    pipelining: settings.pipelining,
    timeout: 10,
    requests: [request],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    if (n === lat.length) {
      const grown = new Float64Array(lat.length * 2);
      grown.set(lat);
      lat = grown;
    }
    lat[n++] = responseTime;
  });
  const result = await instance;
  const statuses: Record<string, number> = {};
  let ok = 0;
  let bad = result.errors + result.timeouts;
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    statuses[code] = count;
    if (Number(code) === spec.expectStatus) ok += count;
    else bad += count;
  }
  if (result.errors) statuses.errors = result.errors;
  if (result.timeouts) statuses.timeouts = result.timeouts;
  const latencies = lat.slice(0, n).sort();
  return { ok, bad, statuses, durationS: result.duration, latencies };
}

/**
 * Warm-up run, then the measured run between the child's `mark` and `stats`, so the server's CPU
 * time and event-loop utilisation cover exactly the measured window.
 */
export async function measure(server: ChildServer, spec: LoadSpec, options: { durationS?: number; warmupS?: number } = {}): Promise<Measurement> {
  const warmupS = options.warmupS ?? settings.warmupS;
  if (warmupS > 0) await fire(server.url, spec, warmupS);
  await server.mark();
  const before = snapshot();
  const run = await fire(server.url, spec, options.durationS ?? settings.durationS);
  const after = snapshot();
  const stats = await server.stats();
  return {
    rps: run.ok / run.durationS,
    p50: percentile(run.latencies, 50),
    p99: percentile(run.latencies, 99),
    max: percentile(run.latencies, 100),
    ok: run.ok,
    bad: run.bad,
    statuses: run.statuses,
    durationS: run.durationS,
    serverCpuUsPerReq: run.ok > 0 ? (stats.cpuMs * 1000) / run.ok : NaN,
    server: stats,
    machine: machineUse(before, after, stats.cpuMs),
  };
}
