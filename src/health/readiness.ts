import { q, type StepRunner } from '../store/sql-steps';
import { errorMessage } from './monitor';

/** One thing the gateway needs to take a click and a postback now. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  /** The names of the failing checks, for the body of a 503. */
  failing: string[];
  checks: Record<string, { ok: boolean; ms: number; error?: string }>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`: a check that hangs is a failing check,
 * and /readyz answers within the timeout whatever the dependencies do.
 */
export async function checkReadiness(checks: readonly ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [c.name, { ok: true, ms: Math.round(performance.now() - t0) }] as const;
      } catch (err) {
        return [c.name, { ok: false, ms: Math.round(performance.now() - t0), error: errorMessage(err).slice(0, 300) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failing = results.filter(([, r]) => !r.ok).map(([name]) => name);
  return { ready: failing.length === 0, failing, checks: Object.fromEntries(results) };
}

/**
 * The ledger is writable: a real write of one heartbeat row through the group commit (fsync
 * included on SQLite, COMMIT on Postgres), not a read — a full disk answers reads happily.
 */
export function ledgerHeartbeat(db: StepRunner, now: () => number, id = 'readyz') {
  return () =>
    db.write(function* () {
      yield* q.run('INSERT INTO readiness_heartbeat (id, beat_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at', id, now());
    });
}
