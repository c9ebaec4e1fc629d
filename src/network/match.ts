import type { PartnerPostback, PostbackType } from './model';

/** What fired: a base conversion, an event, or a unique payable click. */
export interface FireEvent {
  kind: PostbackType;
  offerId: number;
  partnerId: number;
  /** 0 unless kind is `event`. */
  eventId: number;
}

/**
 * Our reading of Everflow's postback levels
 * (https://developers.everflow.io/api-reference/post-networkspixels.md), minus status (the caller decides
 * what a non-active postback
 * means: skipped or nothing). Levels are additive: a global and a specific postback of the same
 * partner BOTH fire (https://helpdesk.everflow.io/en/articles/3974779-testing-partner-postbacks), so this filters and never de-duplicates.
 */
export function postbackMatches(p: PartnerPostback, ev: FireEvent): boolean {
  if (p.type !== ev.kind) return false;
  const scope =
    (p.level === 'global' && p.partnerId === ev.partnerId) ||
    (p.level === 'specific' && p.partnerId === ev.partnerId && p.offerId === ev.offerId) ||
    (p.level === 'global_offer' && p.offerId === ev.offerId);
  if (!scope) return false;
  // The event filter applies at specific/global_offer level; 0 = every event (§1.1).
  if (ev.kind === 'event' && p.level !== 'global' && p.eventId !== 0 && p.eventId !== ev.eventId) return false;
  return true;
}

export type FireDecision = 'send' | 'skip' | 'none';

/**
 * Server postbacks of an active postback are sent; a deactivated one's are kept as `skipped`
 * (replayable after the fix, the issue); inactive and deleted postbacks do not fire at all
 * (our reading of Everflow's pixel_status: only active ones fire). HTML pixels are never sent from
 * the server (Everflow's SDK renders them in the page: https://github.com/everflow-io/everflow-sdk, src/sdk.js): they are rendered for the
 * conversion page instead.
 */
export function fireDecision(p: PartnerPostback): FireDecision {
  if (p.deliveryMethod !== 'postback') return 'none';
  if (p.status === 'active') return 'send';
  if (p.status === 'deactivated') return 'skip';
  return 'none';
}
