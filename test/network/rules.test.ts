import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStreak } from '../../src/network/health';
import { postbackMatches } from '../../src/network/match';
import type { PartnerPostback } from '../../src/network/model';

const H = 3_600_000;
const rule = { failures: 10, windowMs: 72 * H };

describe('nextStreak (sliding 72 h window)', () => {
  const run = (times: number[]) => {
    let streak: number[] = [];
    let deactivate = false;
    for (const t of times) ({ streak, deactivate } = nextStreak(streak, 'failure', t, rule));
    return { streak, deactivate };
  };
  it('10 failures within 72 h deactivate', () => assert.equal(run(Array.from({ length: 10 }, (_, i) => i * 8 * H)).deactivate, true));
  it('9 failures do not', () => assert.equal(run(Array.from({ length: 9 }, (_, i) => i * H)).deactivate, false));
  it('10 failures over 72 h + 1 ms do not', () => assert.equal(run(Array.from({ length: 10 }, (_, i) => (i * (72 * H + 1)) / 9)).deactivate, false));
  it('exactly 72 h between the first and the tenth deactivates', () => assert.equal(run(Array.from({ length: 10 }, (_, i) => i * 8 * H)).deactivate, true));
  it('slides: an old failure drops out, a later run of 10 in the window deactivates', () => {
    assert.equal(run([0, ...Array.from({ length: 9 }, (_, i) => 100 * H + i)]).deactivate, false);
    assert.equal(run([0, ...Array.from({ length: 10 }, (_, i) => 100 * H + i)]).deactivate, true);
  });
  it('a success resets', () => {
    const nine = run(Array.from({ length: 9 }, (_, i) => i)).streak;
    const reset = nextStreak(nine, 'success', 10, rule);
    assert.deepEqual(reset.streak, []);
    assert.equal(nextStreak(reset.streak, 'failure', 11, rule).deactivate, false);
  });
});

const pb = (fields: Partial<PartnerPostback>): PartnerPostback => ({
  id: 1,
  partnerId: 0,
  offerId: 0,
  level: 'global',
  type: 'conversion',
  deliveryMethod: 'postback',
  status: 'active',
  postbackUrl: 'https://x/',
  httpMethod: 'GET',
  postBody: null,
  postContentType: 'application/x-www-form-urlencoded',
  htmlCode: null,
  description: null,
  delayMs: 0,
  eventId: 0,
  deactivatedReason: null,
  deactivatedAt: null,
  failureStreak: [],
  lastFailureAt: null,
  lastSuccessAt: null,
  createdAt: 0,
  updatedAt: 0,
  ...fields,
});

describe('postbackMatches (every matching level fires)', () => {
  const conv = { kind: 'conversion' as const, offerId: 5, partnerId: 7, eventId: 0 };
  const event = { kind: 'event' as const, offerId: 5, partnerId: 7, eventId: 31 };
  const cases: Array<[string, Partial<PartnerPostback>, typeof conv | typeof event, boolean]> = [
    ['global, same partner', { level: 'global', partnerId: 7 }, conv, true],
    ['global, other partner', { level: 'global', partnerId: 8 }, conv, false],
    ['specific, same pair', { level: 'specific', partnerId: 7, offerId: 5 }, conv, true],
    ['specific, other offer', { level: 'specific', partnerId: 7, offerId: 6 }, conv, false],
    ['global_offer, same offer', { level: 'global_offer', offerId: 5 }, conv, true],
    ['global_offer, other offer', { level: 'global_offer', offerId: 6 }, conv, false],
    ['conversion postback, event', { level: 'global', partnerId: 7 }, event, false],
    ['event postback, every event (0)', { level: 'specific', type: 'event', partnerId: 7, offerId: 5 }, event, true],
    ['event postback, this event', { level: 'global_offer', type: 'event', offerId: 5, eventId: 31 }, event, true],
    ['event postback, other event', { level: 'global_offer', type: 'event', offerId: 5, eventId: 32 }, event, false],
    ['event postback, global level ignores the filter', { level: 'global', type: 'event', partnerId: 7, eventId: 32 }, event, true],
  ];
  for (const [name, fields, ev, want] of cases) it(name, () => assert.equal(postbackMatches(pb(fields), ev), want));
});

// The SSRF guard's tables (every address form, allow-list, hosts) are in src/connector-kit/outbound-guard.test.ts;
// the client's connect-time refusal in src/connector-kit/http-client.test.ts.
