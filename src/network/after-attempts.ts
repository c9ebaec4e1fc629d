import type { Logger } from 'pino';
import type { AttemptResult } from '../store/ledger';
import type { StreakRule } from './health';
import { postbackIdOf } from './model';
import type { NetworkDirectory } from './directory';
import type { NetworkStore, PostbackOutcome } from '../store/network/network-store';

const CLEAN_MARK_MS = 1000;

export interface AfterAttemptsDeps {
  store: NetworkStore;
  directory: NetworkDirectory;
  rule: StreakRule;
  now: () => number;
  logger: Logger;
  /** Wake the engine: a deactivation may have queued a postback.deactivated webhook. */
  notify: () => void;
}

/**
 * The engine's afterAttempts hook for partner postbacks (seed 001). A delivery that went `dead`
 * after its 1 + 5 attempts is ONE failure of its postback; a `succeeded` one resets the streak.
 * Failures that are not the partner's (a payload bug: health 'neutral') do not count.
 */
export function networkAfterAttempts(deps: AfterAttemptsDeps): (results: AttemptResult[]) => Promise<void> {
  // Postbacks known to have no failure streak, until when. A success on one of them changes
  // nothing the store would write (last_success_at is refreshed once a second), so it costs no
  // job: the engine waits for this hook before it reuses the slot. Any failure drops the mark,
  // and it expires, so a failure recorded by another process is re-read within a second.
  const cleanUntil = new Map<number, number>();
  return async (results) => {
    const outcomes: PostbackOutcome[] = [];
    const now = deps.now();
    for (const r of results) {
      const postbackId = postbackIdOf(r.destinationId);
      if (postbackId === null) continue;
      if (r.status === 'succeeded') {
        if ((cleanUntil.get(postbackId) ?? 0) > now) continue;
        outcomes.push({ postbackId, outcome: 'success', error: null });
      } else if (r.status === 'dead' && r.health === 'failure') {
        cleanUntil.delete(postbackId);
        outcomes.push({ postbackId, outcome: 'failure', error: r.attempt.errorMessage });
      } else if (r.status === 'pending' && deps.directory.postback(postbackId)?.status !== 'active') {
        outcomes.push({ postbackId, outcome: 'retry', error: null });
      }
    }
    if (outcomes.length === 0) return;
    const { deactivated, clean } = await deps.store.applyOutcomes(outcomes, now, deps.rule);
    for (const id of clean) cleanUntil.set(id, now + CLEAN_MARK_MS);
    // A failure of this batch may have been recorded after a success marked it clean.
    for (const o of outcomes) if (o.outcome === 'failure') cleanUntil.delete(o.postbackId);
    for (const p of deactivated) {
      deps.directory.upsert(p);
      // The notification of seed 001 / everflow.md §3 ("the Network Manager is notified"): an
      // error line here and a postback.deactivated webhook through the outbox.
      deps.logger.error(
        { postback: p.id, partner: p.partnerId, offer: p.offerId, reason: p.deactivatedReason, at: p.deactivatedAt },
        'partner postback deactivated',
      );
    }
    if (deactivated.length > 0) deps.notify();
  };
}
