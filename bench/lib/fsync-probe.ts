import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, percentile } from './load';

/**
 * What one fsync costs in os.tmpdir() (where the gateway bench puts its SQLite file): the floor of
 * one group commit under synchronous=FULL. 4 KiB append + fdatasync, `n` times.
 */
export function probeFsync(n = 200): { p50: number; p99: number } {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const page = Buffer.alloc(4096, 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { p50: median(times), p99: percentile(times, 99) };
}
