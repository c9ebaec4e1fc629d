import type { Logger } from '../logger';

export type AuthFailureReason = 'missing_key' | 'wrong_key' | 'unknown_source';

/**
 * Postbacks refused for their key. The answer is one 401 whatever the reason (a prober must not
 * learn which source ids exist), so the operator's view is here: every refusal is counted, and
 * logged at most once per window per reason with the number folded in since the last line, so a
 * brute force fills neither the disk nor the log. The key given is never logged.
 */
export function createAuthFailures(logger: Logger | undefined, now: () => number, windowMs = 60_000) {
  const counts: Record<AuthFailureReason, number> = { missing_key: 0, wrong_key: 0, unknown_source: 0 };
  const lastLogged = new Map<AuthFailureReason, number>();
  const sinceLog = new Map<AuthFailureReason, number>();
  return {
    record(reason: AuthFailureReason, source: string | undefined): void {
      counts[reason]++;
      sinceLog.set(reason, (sinceLog.get(reason) ?? 0) + 1);
      const at = now();
      const last = lastLogged.get(reason);
      if (last !== undefined && at - last < windowMs) return;
      lastLogged.set(reason, at);
      const refused = sinceLog.get(reason) ?? 1;
      sinceLog.set(reason, 0);
      // The path segment is the caller's text: clipped and stripped of control characters.
      const named = source === undefined ? undefined : source.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 64);
      logger?.warn({ reason, source: named, refused, total: counts[reason], windowMs }, 'postback refused: key missing or wrong (401)');
    },
    /** Totals since start, by reason (for metrics). */
    counts: (): Readonly<Record<AuthFailureReason, number>> => ({ ...counts }),
  };
}
export type AuthFailures = ReturnType<typeof createAuthFailures>;
