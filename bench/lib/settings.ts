import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Knobs shared by every scenario. Defaults follow the issue (50 connections, ~10 s measured after a
 * ~3 s warm-up, pipelining 1); environment variables shorten a trial run:
 *   BENCH_ROUNDS=3  BENCH_DURATION=10  BENCH_WARMUP=3  BENCH_CONNECTIONS=50  BENCH_PIN=1  BENCH_VERBOSE=0
 */
const num = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
};

export const settings = {
  /** Interleaved rounds per target (baseline, subject, baseline, subject…); the median is reported. */
  rounds: Math.max(2, Math.round(num('BENCH_ROUNDS', 3))),
  /** Measured seconds per autocannon run. */
  durationS: num('BENCH_DURATION', 10),
  /** Warm-up seconds before each measured run (JIT, SQLite page cache, keep-alive sockets). */
  warmupS: num('BENCH_WARMUP', 3),
  connections: Math.round(num('BENCH_CONNECTIONS', 50)),
  pipelining: 1,
  verbose: process.env.BENCH_VERBOSE === '1',
  /** Server children run on this CPU, the load generator (this process) on `loadCpu`. */
  serverCpu: 1,
  loadCpu: 0,
  pin: process.env.BENCH_PIN !== '0' && availableParallelism() >= 2 && hasTaskset(),
};

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of this process (the load generator) to `settings.loadCpu`. */
export function pinSelf(): boolean {
  if (!settings.pin) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(settings.loadCpu), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Progress goes to stderr so stdout carries only the report. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
