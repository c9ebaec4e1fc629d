import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../logger';
import { createAuthFailures } from './auth-failures';

test('refused keys are counted and logged once per window per reason, with the count folded in', () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  let t = 0;
  const failures = createAuthFailures(createLogger('info', sink), () => t, 60_000);
  for (let i = 0; i < 500; i++) failures.record('wrong_key', 'net');
  failures.record('unknown_source', 'no\u0000body\r\n');
  assert.equal(lines.length, 2, 'one line per reason in the window, not 501');
  assert.deepEqual(failures.counts(), { missing_key: 0, wrong_key: 500, unknown_source: 1 });
  assert.equal(lines[1]?.source, 'no?body??', 'control characters never reach the log');
  t = 61_000;
  failures.record('wrong_key', 'net');
  assert.equal(lines.length, 3);
  assert.equal(lines[2]?.refused, 500, 'the next line says how many were refused since the last one');
  assert.equal(lines[2]?.total, 501);
});
