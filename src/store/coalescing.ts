import type { Job, StepRunner } from './sql-steps';

/**
 * Calls made in one event-loop turn become ONE write job over all their items; every caller is
 * answered when that job commits (or fails with it).
 */
export function coalescing<T>(db: StepRunner, job: (items: T[]) => Job<void>) {
  let waiting: Array<{ items: T[]; resolve: () => void; reject: (e: unknown) => void }> = [];
  return {
    add(items: T[]): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ items, resolve, reject });
        if (waiting.length > 1) return;
        setImmediate(() => {
          const calls = waiting;
          waiting = [];
          db.write(job(calls.flatMap((c) => c.items))).then(
            () => calls.forEach((c) => c.resolve()),
            (err: unknown) => calls.forEach((c) => c.reject(err)),
          );
        });
      });
    },
  };
}
