import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordedResponseHeaders } from './response-headers';

test('response headers are bounded, credential headers replaced, values masked', () => {
  const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`X-H${i}`, 'v']));
  assert.equal(Object.keys(recordedResponseHeaders(many, (s) => s)).length, 40);
  const kept = recordedResponseHeaders(
    { 'Set-Cookie': 'sid=1', 'WWW-Authenticate': 'Bearer realm="x"', 'X-Echo': 'token=SECRET-123', 'X-Long': 'a'.repeat(2000) },
    (s) => s.split('SECRET-123').join('[redacted]'),
  );
  assert.deepEqual(kept, { 'set-cookie': '[redacted]', 'www-authenticate': '[redacted]', 'x-echo': 'token=[redacted]', 'x-long': 'a'.repeat(512) });
});
