/**
 * The deactivation rule of Everflow (https://helpdesk.everflow.io/collaborator/managing-postbacks-as-a-partner):
 * 10 consecutive failures within 72 hours deactivate a
 * postback; a success resets the streak. Only server postbacks take part (HTML pixels are never
 * sent from the server, so they never get here).
 *
 * Window semantics: SLIDING. The rule holds when the last N consecutive failures all fall within
 * the window, i.e. newest − N-th newest ≤ window. A window fixed at the first failure of a streak
 * would forgive an endpoint whose failures straddle the boundary (1 failure, a quiet 71 h, then 9
 * in a minute) and keep hammering it; a sliding window deactivates exactly when some run of N
 * consecutive failures fits in 72 h, which is the plain reading of the rule (Everflow does
 * not say which window it means: this is our reading). Only the newest N times can decide, so at most N are kept.
 */
export interface StreakRule {
  failures: number;
  windowMs: number;
}

export interface StreakStep {
  /** The streak after this outcome (newest last, at most `failures` entries). */
  streak: number[];
  deactivate: boolean;
}

export function nextStreak(streak: readonly number[], outcome: 'success' | 'failure', at: number, rule: StreakRule): StreakStep {
  if (outcome === 'success') return { streak: [], deactivate: false };
  const next = [...streak, at].slice(-rule.failures);
  const oldest = next[0] as number;
  return { streak: next, deactivate: next.length >= rule.failures && at - oldest <= rule.windowMs };
}

export function deactivationReason(streak: readonly number[], rule: StreakRule, lastError: string | null): string {
  const hours = Math.round((rule.windowMs / 3_600_000) * 10) / 10;
  const first = new Date(streak[0] ?? 0).toISOString();
  return `${rule.failures} consecutive failures within ${hours} h (first at ${first})${lastError ? `; last error: ${lastError.slice(0, 300)}` : ''}`;
}
