import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff';

const opts = { baseMs: 1000, maxMs: 60_000 };

test('grows exponentially and is capped (random fixed at 1 = the upper bound)', () => {
  const one = () => 1;
  const cases: Array<[number, number]> = [
    [0, 1000],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [6, 32_000],
    [7, 60_000],
    [20, 60_000],
    [1000, 60_000],
  ];
  for (const [attempt, want] of cases) assert.equal(backoffDelay(attempt, opts, undefined, one), want, `attempt ${attempt}`);
});

test('equal jitter: between half and all of the exponential step', () => {
  for (const [attempt, exp] of [
    [1, 1000],
    [3, 4000],
    [30, 60_000],
  ] as const) {
    assert.equal(
      backoffDelay(attempt, opts, undefined, () => 0),
      exp / 2,
      `lower bound at ${attempt}`,
    );
    assert.equal(
      backoffDelay(attempt, opts, undefined, () => 0.5),
      (exp * 3) / 4,
      `middle at ${attempt}`,
    );
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(attempt, opts);
      assert.ok(d >= exp / 2 && d <= exp, `${d} within [${exp / 2}, ${exp}]`);
      assert.equal(d, Math.round(d));
    }
  }
  // Jitter really varies (not lock-step).
  const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(5, opts)));
  assert.ok(seen.size > 5);
});

test('Retry-After is a floor, never a ceiling, and is itself capped at 24 h', () => {
  const zero = () => 0;
  const cases: Array<{ attempt: number; retryAfter: number | undefined; want: number }> = [
    { attempt: 1, retryAfter: 30_000, want: 30_000 },
    { attempt: 1, retryAfter: 0, want: 500 },
    { attempt: 7, retryAfter: 1_000, want: 30_000 },
    { attempt: 1, retryAfter: 2 * 3_600_000, want: 2 * 3_600_000 },
    { attempt: 1, retryAfter: 100 * 3_600_000, want: 24 * 3_600_000 },
    { attempt: 1, retryAfter: undefined, want: 500 },
  ];
  for (const c of cases) assert.equal(backoffDelay(c.attempt, opts, c.retryAfter, zero), c.want, JSON.stringify(c));
});
