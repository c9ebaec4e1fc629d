import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from './ids';

test('newId: 32 lowercase hex in the UUIDv7 layout, ordered by time, unique', () => {
  const ids = Array.from({ length: 10_000 }, () => newId());
  for (const id of ids.slice(0, 100)) {
    assert.match(id, /^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  }
  assert.equal(new Set(ids).size, ids.length, 'no collision in 10,000');
  const early = newId(Date.UTC(2026, 0, 1));
  const late = newId(Date.UTC(2026, 0, 1, 0, 0, 1));
  assert.ok(early < late, 'a later id sorts after an earlier one');
  assert.equal(parseInt(late.slice(0, 12), 16), Date.UTC(2026, 0, 1, 0, 0, 1), 'the prefix is the epoch ms');
});
