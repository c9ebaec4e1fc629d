import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchQualityView } from './match-quality';

const tiktok = { id: 'tiktok', signals: ['click_id', 'ip', 'user_agent', 'email', 'phone', 'external_id'] as const, identifiersSent: () => null };

test('shares are of the measured deliveries; those stored before the names were recorded count as delivered only', () => {
  const [v] = matchQualityView(
    [
      { destinationId: 'tt', identifiers: ['click_id', 'ip', 'user_agent'], n: 6 },
      { destinationId: 'tt', identifiers: ['ip', 'user_agent', 'email'], n: 2 },
      { destinationId: 'tt', identifiers: null, n: 5 },
      { destinationId: 'other', identifiers: ['click_id'], n: 100 },
    ],
    [{ id: 'tt', connector: tiktok }],
  );
  assert.equal(v?.delivered, 13);
  assert.equal(v?.measured, 8);
  assert.deepEqual(
    v?.identifiers.map((i) => [i.name, i.count, i.share]),
    [
      ['click_id', 6, 0.75],
      ['ip', 8, 1],
      ['user_agent', 8, 1],
      ['email', 2, 0.25],
      ['phone', 0, 0],
      ['external_id', 0, 0],
    ],
  );
  assert.deepEqual(
    v?.hints.map((h) => [h.identifier, h.missing_share]),
    [
      ['click_id', 0.25],
      ['email', 0.75],
      ['phone', 1],
      ['external_id', 1],
    ],
  );
  assert.match(v?.hints[0]?.message ?? '', /^click_id missing on 25 % — keep ttclid on the ad's final URL/);
});

test('nothing measured: shares are null and there is no hint; a connector without identifiersSent lists no signal', () => {
  const [none, plain] = matchQualityView(
    [{ destinationId: 'pb', identifiers: null, n: 3 }],
    [
      { id: 'tt', connector: tiktok },
      { id: 'pb', connector: { id: 'http-postback' } },
    ],
  );
  assert.equal(none?.measured, 0);
  assert.ok(none?.identifiers.every((i) => i.share === null));
  assert.deepEqual(none?.hints, []);
  assert.deepEqual(plain, { destination: 'pb', connector: 'http-postback', supported: false, delivered: 3, measured: 0, identifiers: [], hints: [] });
});
