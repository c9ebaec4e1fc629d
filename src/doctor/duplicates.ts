import type { PartnerPostback } from '../network/model';
import type { DoctorEnv } from './diagnose';
import { finding, type DoctorInput, type Finding } from './findings';
import { withSamples } from './url-scan';

/** A configured destination as the doctor sees it (the http-postback `settings.url`, its event filter). */
export interface DoctorDestination {
  id: string;
  connector: string;
  url?: string | undefined;
  events?: readonly string[] | undefined;
}

/** "Same destination": same host and path; the query (macro values) may differ. */
export function destinationKey(url: string): string | null {
  try {
    const u = new URL(withSamples(url.trim(), (name) => `{${name}}`.replace(/[{}]/g, '_')));
    return `${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '') || '/'}`;
  } catch {
    return null;
  }
}

/** The trigger of the postback being checked: `conversion` | `event` | `cpc`, or an event id. */
function trigger(event: string | undefined): { type: string; eventId: number } {
  if (event && /^\d+$/.test(event)) return { type: 'event', eventId: Number(event) };
  return { type: event ?? 'conversion', eventId: 0 };
}

/**
 * Everflow fires every matching postback, a global and a specific one alike
 * (https://helpdesk.everflow.io/en/articles/3974779-testing-partner-postbacks):
 * two of them on the same trigger for conversions they both match, aimed at the same host and
 * path, report each conversion twice. Unknown partner or offer ids count as overlapping.
 */
function overlaps(p: PartnerPostback, ctx: DoctorInput['context']): boolean {
  const scope = ctx.scope as string;
  const t = trigger(ctx.event);
  if (p.type !== t.type) return false;
  if (t.type === 'event' && p.eventId !== 0 && t.eventId !== 0 && p.eventId !== t.eventId) return false;
  const partner = ctx.partner_id;
  const partnersMeet = scope === 'global_offer' || p.level === 'global_offer' || partner === undefined || String(p.partnerId) === partner;
  const offer = ctx.offer_id;
  const offersMeet = scope === 'global' || p.level === 'global' || offer === undefined || String(p.offerId) === offer;
  return partnersMeet && offersMeet;
}

export function duplicateFindings(input: DoctorInput, env: DoctorEnv): Finding[] {
  if (input.kind !== 'outbound') return [];
  const key = destinationKey(input.url);
  if (!key) return [];
  const ctx = input.context;
  const out: Finding[] = [];
  if (ctx.scope) {
    for (const p of env.postbacks ?? []) {
      if (p.id === ctx.postback_id || p.status === 'deleted' || p.deliveryMethod !== 'postback' || !p.postbackUrl) continue;
      if (destinationKey(p.postbackUrl) !== key || !overlaps(p, ctx)) continue;
      out.push(
        finding(
          'warning',
          'DUPLICATE_POSTBACK',
          `Partner postback #${p.id} (${p.level}${p.offerId ? `, offer ${p.offerId}` : ''}${p.partnerId ? `, partner ${p.partnerId}` : ''}) already fires on the same ${trigger(ctx.event).type} to ${key}. Both fire, so the tracker receives every conversion twice.`,
          `Keep one postback per destination: edit or delete #${p.id} instead of adding this one, or narrow one of them to a different offer.`,
        ),
      );
    }
    return out;
  }
  const t = ctx.event;
  for (const d of env.destinations ?? []) {
    if (d.id === ctx.destination || !d.url || destinationKey(d.url) !== key) continue;
    if (t && d.events && d.events.length > 0 && !d.events.includes(t)) continue;
    out.push(
      finding(
        'warning',
        'DUPLICATE_DESTINATION',
        `Destination "${d.id}" already sends conversions to ${key}. Two destinations firing on the same conversion report it twice.`,
        `Keep one: edit "${d.id}" instead, or give the two different event filters.`,
      ),
    );
  }
  return out;
}
