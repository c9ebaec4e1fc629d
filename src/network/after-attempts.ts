import type { Logger } from 'pino';
import type { AttemptHook } from '../store/attempt-records';
import type { AttemptResult } from '../store/ledger';
import type { NetworkStore, PostbackOutcome } from '../store/network/network-store';
import type { NetworkDirectory } from './directory';
import type { StreakRule } from './health';
import type { PartnerPostback } from './model';
import { postbackIdOf } from './model';

const CLEAN_MARK_MS = 1000;

export interface AfterAttemptsDeps {
  store: NetworkStore;
  directory: NetworkDirectory;
  rule: StreakRule;
  logger: Logger;
  /** Wake the engine: a deactivation may have queued a postback.deactivated webhook. */
  notify: () => void;
}

interface Applied {
  now: number;
  outcomes: PostbackOutcome[];
  deactivated: PartnerPostback[];
  clean: number[];
}

/**
 * The engine's attempt hook for partner postbacks (Everflow's failure rule, https://helpdesk.everflow.io/collaborator/managing-postbacks-as-a-partner). A delivery that went `dead` after
 * its 1 + 5 attempts is ONE failure of its postback; a `succeeded` one resets the streak.
 * Failures that are not the partner's (a payload bug: health 'neutral') do not count.
 * The streak update runs inside the job that records the attempts (AttemptHook): one commit, so
 * a process killed at any moment never keeps a dead attempt without its failure in the streak.
 */
export function networkAttemptHook(deps: AfterAttemptsDeps): AttemptHook<Applied | null> {
  // Postbacks known to have no failure streak, until when. A success on one of them changes
  // nothing the store would write (last_success_at is refreshed once a second), so it costs no
  // statement. Any failure drops the mark, and it expires, so a failure recorded by another
  // process is re-read within a second.
  const cleanUntil = new Map<number, number>();

  function outcomesOf(results: readonly AttemptResult[], now: number): PostbackOutcome[] {
    const outcomes: PostbackOutcome[] = [];
    for (const r of results) {
      const postbackId = postbackIdOf(r.destinationId);
      if (postbackId === null) continue;
      if (r.status === 'succeeded') {
        if ((cleanUntil.get(postbackId) ?? 0) > now) continue;
        outcomes.push({ postbackId, outcome: 'success', error: null });
      } else if (r.status === 'dead' && r.health === 'failure') {
        outcomes.push({ postbackId, outcome: 'failure', error: r.attempt.errorMessage });
      } else if (r.status === 'pending' && deps.directory.postback(postbackId)?.status !== 'active') {
        outcomes.push({ postbackId, outcome: 'retry', error: null });
      }
    }
    return outcomes;
  }

  return {
    *steps(results, now, d) {
      const outcomes = outcomesOf(results, now);
      if (outcomes.length === 0) return null;
      const { deactivated, clean } = yield* deps.store.outcomeSteps(outcomes, now, deps.rule, d);
      return { now, outcomes, deactivated, clean };
    },
    committed(applied) {
      if (!applied) return;
      const { now, outcomes, deactivated, clean } = applied;
      for (const id of clean) cleanUntil.set(id, now + CLEAN_MARK_MS);
      // A failure of this job may have been recorded after a success marked it clean.
      for (const o of outcomes) if (o.outcome === 'failure') cleanUntil.delete(o.postbackId);
      for (const p of deactivated) {
        deps.directory.upsert(p);
        // The notification Everflow documents ("the Network Manager is notified", https://helpdesk.everflow.io/en/articles/4057176-partner-portal-managing-postbacks): an
        // error line here and a postback.deactivated webhook through the outbox.
        deps.logger.error(
          { postback: p.id, partner: p.partnerId, offer: p.offerId, reason: p.deactivatedReason, at: p.deactivatedAt },
          'partner postback deactivated',
        );
      }
      if (deactivated.length > 0) deps.notify();
    },
  };
}
