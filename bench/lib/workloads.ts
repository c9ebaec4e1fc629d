import { randomUUID } from 'node:crypto';
import { buildClick, type ClickFacts, clickInputSchema } from '../../src/clicks/capture';
import type { ClickRecord } from '../../src/clicks/click';
import { BENCH_SECRET, OFFER_URL, SENT_OFFER } from '../servers/shared';
import type { ChildServer } from './child';
import type { LoadSpec } from './load';

/** The click every redirect run sends: a Google click with two subs. */
export const REDIRECT_PATH = '/c/demo?gclid=Cj0KCQ-bench-gclid-0123456789&sub1=campaign-7&sub2=adset-3';

export const redirectSpec = (): LoadSpec => ({ path: REDIRECT_PATH, expectStatus: 302 });

/**
 * The bench's Google click as the redirect builds it, for the in-process probes (intake-probe,
 * batch-size-probe, storage-probe): `facts` overrides the redirect's facts, `input` its query.
 */
export function benchClick(input: Record<string, string> = { gclid: 'Cj0KCQ-bench-gclid' }, facts: Partial<ClickFacts> = {}): ClickRecord {
  return buildClick({
    link: 'demo',
    input: clickInputSchema.parse(input),
    ip: '127.0.0.1',
    userAgent: 'probe',
    referrer: null,
    landingUrl: OFFER_URL,
    cookies: {},
    now: Date.now(),
    ...facts,
  });
}

/** Stores one click through the redirect and returns its id (sub5). */
export async function storeClick(server: ChildServer): Promise<string> {
  const res = await fetch(`${server.url}/c/demo?gclid=Cj0KCQ-bench-gclid`, { redirect: 'manual' });
  const location = res.headers.get('location');
  const sub5 = location ? new URL(location).searchParams.get('sub5') : null;
  if (res.status !== 302 || !sub5) throw new Error(`could not store a click: ${res.status} ${await res.text()}`);
  return sub5;
}

/**
 * Postbacks with a unique tx_id per request (a new conversion each time, never a duplicate) and
 * the click id of a click stored beforehand (`clickId`; the bare baseline gets a made-up one).
 */
export function intakeSpec(clickId = '0123456789abcdef0123456789abcdef'): LoadSpec {
  const prefix = `/postback?key=${BENCH_SECRET}&click_id=${clickId}&payout=12.50&offer_id=${SENT_OFFER}&tx_id=bench-${randomUUID().slice(0, 8)}-`;
  let n = 0;
  return { nextPath: () => `${prefix}${n++}`, expectStatus: 200 };
}

/**
 * One outbox row's worth for `ledger.recordPostback`: an approved conversion routed to the static
 * http-postback destination `tracker` (the dispatch scenario's ceiling row and dispatch-probe's
 * core case fill their outbox with these). Plain data, so a probe can hand it to another tree's ledger.
 */
export function trackerPostback(id: string, at: number) {
  return {
    conversion: {
      id,
      source: 'bench',
      transactionId: id,
      event: 'conversion',
      status: 'approved' as const,
      payout: '12.5',
      currency: 'USD',
      offerId: '1',
      clickId: null,
      matched: true,
      click: null,
      params: { sub1: 'camp' },
      receivedAt: at,
      updatedAt: at,
    },
    route: (c: { id: string }) => [{ destinationId: 'tracker', connector: 'http-postback', dedupKey: c.id, maxAttempts: 6 }],
  };
}
