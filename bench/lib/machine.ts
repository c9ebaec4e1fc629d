import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Who else used the CPUs during a measured window. Other engineers' test runs on the same two
 * cores distort a run badly (p99 especially); this makes that visible instead of silent.
 */
interface Snapshot {
  busyMs: number;
  stealMs: number;
  selfCpuMs: number;
  at: number;
}

const JIFFY_MS = 10; // USER_HZ = 100 on Linux

function procStat(): { busyMs: number; stealMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return { busyMs: (user + nice + system + irq + softirq) * JIFFY_MS, stealMs: steal * JIFFY_MS };
  } catch {
    return null;
  }
}

export function snapshot(): Snapshot | null {
  const s = procStat();
  if (!s) return null;
  const c = process.cpuUsage();
  return { ...s, selfCpuMs: (c.user + c.system) / 1000, at: performance.now() };
}

export interface MachineUse {
  /** This process's (the load generator's) CPU, % of one core. */
  loadgenPct: number;
  /** Busy CPU not accounted to the load generator or the server child, % of one core (kernel softirq of our own traffic included). */
  otherPct: number;
  /** Time the hypervisor gave our vCPUs to someone else, % of one core. */
  stealPct: number;
}

/** Between two snapshots; `serverCpuMs` is the child's own CPU time over the same window. */
export function machineUse(a: Snapshot | null, b: Snapshot | null, serverCpuMs: number): MachineUse | null {
  if (!a || !b) return null;
  const wall = b.at - a.at;
  const self = b.selfCpuMs - a.selfCpuMs;
  const pct = (ms: number) => (100 * ms) / wall;
  return { loadgenPct: pct(self), otherPct: Math.max(0, pct(b.busyMs - a.busyMs - self - serverCpuMs)), stealPct: pct(b.stealMs - a.stealMs) };
}
