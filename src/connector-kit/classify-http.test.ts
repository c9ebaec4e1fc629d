import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorForResponse, kindForStatus, outcomeForStatus, parseRetryAfter } from './classify-http';
import type { DeliveryErrorKind } from './delivery-error';

describe('kindForStatus', () => {
  const cases: Array<[number, DeliveryErrorKind | null]> = [
    [200, null],
    [201, null],
    [204, null],
    [299, null],
    [301, 'config'],
    [302, 'config'],
    [304, 'config'],
    [400, 'payload'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'config'],
    [408, 'transient'],
    [409, 'payload'],
    [410, 'config'],
    [413, 'payload'],
    [422, 'payload'],
    [425, 'transient'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [501, 'config'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [599, 'transient'],
  ];
  for (const [status, kind] of cases) {
    it(`${status} → ${kind ?? 'ok'}`, () => assert.equal(kindForStatus(status), kind));
  }
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const cases: Array<[string | undefined, number | undefined]> = [
    ['7', 7000],
    [' 120 ', 120_000],
    ['0', 0],
    ['Thu, 15 Jan 2026 12:00:30 GMT', 30_000],
    ['Thu, 15 Jan 2026 11:59:00 GMT', 0], // a date in the past means "now", never negative
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [value, want] of cases) {
    it(`${JSON.stringify(value)} → ${want}`, () => assert.equal(parseRetryAfter(value, now), want));
  }
});

describe('errorForResponse', () => {
  const res = (status: number, body = '', headers: Record<string, string> = {}) => ({ status, headers, body, durationMs: 1 });

  it('is null for 2xx', () => assert.equal(errorForResponse(res(204)), null));

  it('carries status, Retry-After and a whitespace-collapsed body snippet', () => {
    const err = errorForResponse(res(429, '  slow\n\n down ', { 'retry-after': '3' }), 'Meta');
    assert.equal(err?.kind, 'rate_limited');
    assert.equal(err?.status, 429);
    assert.equal(err?.retryAfterMs, 3000);
    assert.equal(err?.message, 'Meta answered HTTP 429: slow down');
  });

  it('cuts long bodies at 200 characters', () => {
    const err = errorForResponse(res(400, 'x'.repeat(500)));
    assert.equal(err?.message, `destination answered HTTP 400: ${'x'.repeat(200)}…`);
    assert.equal(err?.retryAfterMs, undefined);
  });
});

describe('outcomeForStatus', () => {
  const res = (status: number) => ({ status, headers: {}, body: 'nope', durationMs: 1 });
  const cases: Array<[number, string | null]> = [
    [200, null],
    [204, null],
    [410, 'config'],
    [429, 'rate_limited'],
    [503, 'transient'],
    [422, 'payload'],
  ];
  for (const [status, kind] of cases) {
    it(`${status} → ${kind ?? 'ok'}`, () => {
      const outcome = outcomeForStatus(res(status), 'receiver');
      assert.equal(outcome.ok, kind === null);
      if (!outcome.ok) {
        assert.equal(outcome.error.kind, kind);
        assert.equal(outcome.error.message, `receiver answered HTTP ${status}: nope`);
      }
    });
  }
});
