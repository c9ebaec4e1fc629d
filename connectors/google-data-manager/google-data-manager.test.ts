import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type ItemOutcome, type Outcome, type PlatformResponse } from '../../src/connector-kit';
import { createRegistry } from '../../src/connector-kit/registry';
import { connectors } from '../index';
import { REASON_RULES } from './errors';
import { clickFixture, contextFixture, conversionFixture, FIXTURE_NOW, itemFixture } from './fixtures';
import { googleDataManager } from './index';
import { dataManagerSettingsSchema } from './schema';

const dm = googleDataManager;
const items = [itemFixture(), itemFixture(undefined, { deliveryId: 'd2', dedupKey: 'k2' }), itemFixture(undefined, { deliveryId: 'd3', dedupKey: 'k3' })];
const request = dm.build(items, contextFixture());
const res = (status: number, body: unknown, headers: Record<string, string> = {}): PlatformResponse => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  durationMs: 4,
});
const summary = (out: Outcome): string[] =>
  (Array.isArray(out) ? out : items.map(() => out)).map((o: ItemOutcome) => (o.ok ? 'ok' : `${o.error.kind} ${o.error.platformCode ?? ''}`.trim()));
const googleError = (code: number, status: string, reason: string, message: string, fieldViolations?: unknown[]) => ({
  error: {
    code,
    message,
    status,
    details: [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'datamanager.googleapis.com' },
      ...(fieldViolations ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations }] : []),
    ],
  },
});

describe('google-data-manager build', () => {
  it('describes events:ingest exactly', () => {
    const req = dm.build([itemFixture()], contextFixture({ loginAccountId: '999-888-7777', consent: { adUserData: 'CONSENT_GRANTED' } }));
    assert.deepEqual(req, {
      method: 'POST',
      url: 'https://datamanager.googleapis.com/v1/events:ingest',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        destinations: [
          {
            operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' },
            loginAccount: { accountType: 'GOOGLE_ADS', accountId: '9998887777' },
            productDestinationId: '555',
          },
        ],
        events: [
          {
            eventTimestamp: '2026-01-15T11:59:00.000Z',
            transactionId: 'dk_conv_01_dest_01',
            conversionValue: 12.5,
            currency: 'USD',
            adIdentifiers: { gclid: 'Cj0KCQ-gclid' },
            eventSource: 'WEB',
          },
        ],
        consent: { adUserData: 'CONSENT_GRANTED' },
        validateOnly: false,
      }),
    });
  });
  it('one ad identifier, never before the click, validateOnly for tests, deterministic', () => {
    const item = itemFixture(
      conversionFixture({ receivedAt: FIXTURE_NOW - 7_200_000, click: clickFixture({ platformClickIds: { wbraid: 'W1', gbraid: 'B1' } }) }),
    );
    const body = JSON.parse(dm.build([item], contextFixture({}, {}, { test: true })).body ?? '');
    assert.deepEqual(body.events[0].adIdentifiers, { gbraid: 'B1' });
    assert.equal(body.events[0].eventTimestamp, '2026-01-15T11:00:01.000Z', 'clamped to click + 1 s');
    assert.equal(body.validateOnly, true);
    assert.equal(JSON.stringify(dm.build(items, contextFixture())), JSON.stringify(dm.build(items, { ...contextFixture(), now: 1 })));
  });
  it('validate: no Google click id → payload, before batching', () => {
    const err = dm.validate?.(itemFixture(conversionFixture({ click: clickFixture({ platformClickIds: { fbclid: 'F' } }) })), contextFixture());
    assert.ok(err instanceof DeliveryError && err.kind === 'payload' && err.message.startsWith('no Google click id'));
  });
  it('settings: defaults, normalised ids, no clear-text off loopback, registered', () => {
    const s = dataManagerSettingsSchema.parse({ operatingAccountId: '123-456-7890', conversionActionId: 5, baseUrl: 'http://127.0.0.1:4000/' });
    assert.deepEqual(s, {
      baseUrl: 'http://127.0.0.1:4000',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      operatingAccountId: '1234567890',
      conversionActionId: '5',
      eventSource: 'WEB',
      validateOnly: false,
    });
    assert.equal(
      dataManagerSettingsSchema.safeParse({ operatingAccountId: '1234567890', conversionActionId: '5', baseUrl: 'http://datamanager.googleapis.com' }).success,
      false,
    );
    assert.equal(createRegistry(connectors).get('google-data-manager'), dm);
    assert.equal(dm.limits.maxBatch, 2000);
  });
});

describe('google-data-manager classify', () => {
  it('200 with requestId → ok; without → transient', () => {
    assert.deepEqual(dm.classify(res(200, { requestId: 'r-1' }), request, items), { ok: true, note: 'requestId r-1' });
    const checked = dm.build(items, contextFixture({}, {}, { test: true }));
    assert.deepEqual(dm.classify(res(200, { requestId: 'r-2' }), checked, items), {
      ok: true,
      note: 'validateOnly: checked by Google, nothing ingested (requestId r-2)',
    });
    assert.deepEqual(summary(dm.classify(res(200, {}), request, items)), Array(3).fill('transient'));
  });
  const cases: Array<[string, number, unknown, string, Record<string, string>?]> = [
    [
      '401 → auth',
      401,
      googleError(401, 'UNAUTHENTICATED', 'ACCESS_TOKEN_EXPIRED', 'Request had invalid authentication credentials.'),
      'auth ACCESS_TOKEN_EXPIRED',
    ],
    [
      '403 scope → auth',
      403,
      googleError(403, 'PERMISSION_DENIED', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'Request had insufficient authentication scopes.'),
      'auth ACCESS_TOKEN_SCOPE_INSUFFICIENT',
    ],
    [
      '403 no access to the account → auth',
      403,
      googleError(403, 'PERMISSION_DENIED', 'PERMISSION_DENIED', 'The caller does not have permission'),
      'auth PERMISSION_DENIED',
    ],
    [
      '429 → rate_limited',
      429,
      googleError(429, 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED', 'Quota exceeded'),
      'rate_limited RESOURCE_EXHAUSTED',
      { 'retry-after': '12' },
    ],
    ['500 → transient', 500, googleError(500, 'INTERNAL', 'INTERNAL_ERROR', 'Internal error'), 'transient INTERNAL_ERROR'],
    ['503 html → transient', 503, '<html>unavailable</html>', 'transient HTTP_503'],
    [
      '400 naming the destination → config',
      400,
      googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
        { field: 'destinations[0].operatingAccount.accountId', description: 'bad' },
      ]),
      'config INVALID_ARGUMENT',
    ],
    [
      '400 INVALID_CONVERSION_ACTION_ID → config',
      400,
      googleError(400, 'INVALID_ARGUMENT', 'INVALID_CONVERSION_ACTION_ID', 'Conversion action ID is not valid.'),
      'config INVALID_CONVERSION_ACTION_ID',
    ],
    [
      '400 without detail → payload',
      400,
      googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'Request contains an invalid argument.'),
      'payload INVALID_ARGUMENT',
    ],
    ['404 → config', 404, 'Not Found', 'config HTTP_404'],
  ];
  for (const [name, status, body, want, headers] of cases) {
    it(name, () => {
      const out = dm.classify(res(status, body, headers), request, items);
      assert.deepEqual(summary(out), Array(3).fill(want));
      const first = (Array.isArray(out) ? out[0] : out) as ItemOutcome;
      assert.ok(!first.ok && first.error.status === status);
      if (headers?.['retry-after']) assert.equal(!first.ok && first.error.retryAfterMs, 12_000);
      if (want.includes('SCOPE')) assert.match(!first.ok ? first.error.message : '', /datamanager scope/);
    });
  }
  it('a 400 naming event 2 of 3 fails that event; the others go again (fast-fail)', () => {
    const body = googleError(400, 'INVALID_ARGUMENT', 'INVALID_FORMAT', 'Request contains an invalid argument.', [
      { field: 'events[1].eventTimestamp', description: 'RFC 3339 timestamp expected', reason: 'INVALID_FORMAT' },
    ]);
    const out = dm.classify(res(400, body), request, items);
    assert.deepEqual(summary(out), ['transient NOT_INGESTED', 'payload INVALID_FORMAT', 'transient NOT_INGESTED']);
    const failed = (out as ItemOutcome[])[1];
    assert.match(!failed?.ok ? (failed?.error.message ?? '') : '', /events\[1\]\.eventTimestamp: RFC 3339 timestamp expected/);
  });
  it('reason table entries are real kinds', () => {
    for (const [reason, rule] of Object.entries(REASON_RULES))
      assert.ok(['transient', 'rate_limited', 'auth', 'config', 'payload'].includes(rule.kind), reason);
  });
  it('never throws on odd answers; 429 → rate_limited and 5xx → transient whatever the body', () => {
    const bodies = ['', 'null', '[]', '{"error":"x"}', '{"error":{"details":"x"}}', '{"error":{"details":[null,1,{"fieldViolations":"x"}]}}', 'x'.repeat(5000)];
    for (const status of [0, 200, 201, 204, 302, 400, 401, 403, 404, 409, 429, 500, 502, 503, 599]) {
      for (const body of bodies) {
        const out = dm.classify(res(status, body), request, items);
        for (const o of Array.isArray(out) ? out : [out]) assert.ok(o.ok || o.error instanceof DeliveryError);
        if (status === 429) assert.equal(summary(out)[0]?.split(' ')[0], 'rate_limited');
        if (status >= 500) assert.equal(summary(out)[0]?.split(' ')[0], 'transient');
      }
    }
  });
});
