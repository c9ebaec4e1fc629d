import { median } from './load';
import { progress, settings } from './settings';

export interface Target<T> {
  label: string;
  /** One complete measurement (start a fresh server, warm up, measure, stop). */
  once: (round: number) => Promise<T>;
}

/**
 * Runs the targets interleaved — A, B, A, B… for `rounds` rounds — so slow drift of the machine
 * (thermal, noisy neighbours) hits every target alike; report medians of the per-target lists.
 */
export async function interleave<T>(targets: Target<T>[], rounds = settings.rounds): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(targets.map((t) => [t.label, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const t of targets) {
      progress(`round ${r}/${rounds}: ${t.label}`);
      out.get(t.label)?.push(await t.once(r));
    }
  }
  return out;
}

/** Median of a field over a target's runs. */
export function med<T>(runs: T[], pick: (r: T) => number): number {
  return median(runs.map(pick));
}
