import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInThrottle } from './sign-in-throttle';

test('an address is blocked after maxFailures within the window, until the window ends; a success clears it', () => {
  const t = signInThrottle({ maxFailures: 3, windowMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    assert.equal(t.blockedFor('1.2.3.4', 1000), 0);
    t.failed('1.2.3.4', 1000);
  }
  assert.equal(t.blockedFor('1.2.3.4', 1000), 60);
  assert.equal(t.blockedFor('1.2.3.4', 31_000), 30);
  assert.equal(t.blockedFor('5.6.7.8', 31_000), 0, 'another address is not affected');
  assert.equal(t.blockedFor('1.2.3.4', 61_000), 0, 'the window is over');
  t.failed('9.9.9.9', 0);
  t.succeeded('9.9.9.9');
  t.failed('9.9.9.9', 0);
  t.failed('9.9.9.9', 0);
  assert.equal(t.blockedFor('9.9.9.9', 0), 0, 'the count restarted at the success');
});

test('memory stays bounded under a spray of addresses: the oldest are forgotten', () => {
  const t = signInThrottle({ maxFailures: 1, windowMs: 60_000, maxAddresses: 2 });
  t.failed('a', 0);
  t.failed('b', 0);
  t.failed('c', 0);
  assert.equal(t.blockedFor('a', 0), 0);
  assert.equal(t.blockedFor('c', 0), 60);
});
