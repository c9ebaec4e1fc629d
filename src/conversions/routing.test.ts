import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversionFixture, clickFixture } from '../../connectors/_shared/test-fixtures';
import { parseConfig, type DestinationConfig, type SourceConfig } from '../config';
import type { ConversionRecord } from './conversion';
import { dedupKey, matchesFilters, route } from './routing';

const config = parseConfig({
  admin: { token: 'admin-token-0123456789' },
  sources: [
    { id: 'everflow', secret: 'secret-0123456789abc' },
    { id: 'eager', secret: 'secret-0123456789abd', forwardStatuses: ['approved', 'pending'] },
  ],
});
const source = config.sources[0] as SourceConfig;
const eager = config.sources[1] as SourceConfig;

function dest(extra: Record<string, unknown> = {}): DestinationConfig {
  return parseConfig({ admin: { token: 'admin-token-0123456789' }, destinations: [{ id: 'd1', connector: 'http-postback', ...extra }] })
    .destinations[0] as DestinationConfig;
}

test('dedupKey is stable, 32 hex, and distinct per destination, event, transaction and source', () => {
  const c = { source: 'everflow', transactionId: 'tx-1', event: 'conversion' };
  const k = dedupKey(c, 'meta');
  assert.match(k, /^[0-9a-f]{32}$/);
  assert.equal(dedupKey({ ...c }, 'meta'), k, 'same inputs, same key');
  const others = [
    dedupKey(c, 'google'),
    dedupKey({ ...c, event: 'upsell' }, 'meta'),
    dedupKey({ ...c, transactionId: 'tx-2' }, 'meta'),
    dedupKey({ ...c, source: 'cake' }, 'meta'),
    // A separator keeps ("a", "bc") and ("ab", "c") apart.
    dedupKey({ ...c, transactionId: 'tx-1\u0000conversion', event: '' }, 'meta'),
  ];
  assert.equal(new Set([k, ...others]).size, others.length + 1);
  // Status and payout are not part of it: pending → approved keeps the platform's de-duplication.
  const conv = conversionFixture();
  assert.equal(dedupKey({ ...conv, status: 'pending' } as ConversionRecord, 'd'), dedupKey(conv, 'd'));
});

test('matchesFilters: each filter, matching and not', () => {
  const matched = conversionFixture(); // everflow, google click on link summer-sale, offer 42, event conversion, approved
  const unmatched = conversionFixture({ matched: false, click: null, clickId: 'zzz' });
  const cases: Array<{ name: string; d: Record<string, unknown>; c?: ConversionRecord; want: boolean }> = [
    { name: 'no filters', d: {}, want: true },
    { name: 'disabled', d: { enabled: false }, want: false },
    { name: 'unmatched refused by default', d: {}, c: unmatched, want: false },
    { name: 'unmatched accepted', d: { acceptUnmatched: true }, c: unmatched, want: true },
    { name: 'sources hit', d: { filters: { sources: ['cake', 'everflow'] } }, want: true },
    { name: 'sources miss', d: { filters: { sources: ['cake'] } }, want: false },
    { name: 'platforms hit', d: { filters: { platforms: ['google'] } }, want: true },
    { name: 'platforms miss', d: { filters: { platforms: ['meta'] } }, want: false },
    { name: 'platforms with no click', d: { acceptUnmatched: true, filters: { platforms: ['google'] } }, c: unmatched, want: false },
    { name: 'links hit', d: { filters: { links: ['summer-sale'] } }, want: true },
    { name: 'links miss', d: { filters: { links: ['winter'] } }, want: false },
    {
      name: 'links with a direct-link click',
      d: { filters: { links: ['summer-sale'] } },
      c: conversionFixture({ click: clickFixture({ link: null }) }),
      want: false,
    },
    { name: 'offers hit', d: { filters: { offers: ['42'] } }, want: true },
    { name: 'offers miss', d: { filters: { offers: ['43'] } }, want: false },
    { name: 'offers with no offer id', d: { filters: { offers: ['42'] } }, c: conversionFixture({ offerId: null }), want: false },
    { name: 'events hit', d: { filters: { events: ['conversion'] } }, want: true },
    { name: 'events miss', d: { filters: { events: ['upsell'] } }, want: false },
    { name: 'statuses hit', d: { filters: { statuses: ['approved'] } }, want: true },
    { name: 'statuses miss', d: { filters: { statuses: ['approved'] } }, c: conversionFixture({ status: 'pending' }), want: false },
    {
      name: 'all filters together',
      d: { filters: { sources: ['everflow'], platforms: ['google'], links: ['summer-sale'], offers: ['42'], events: ['conversion'], statuses: ['approved'] } },
      want: true,
    },
    { name: 'one of many misses', d: { filters: { sources: ['everflow'], platforms: ['google'], offers: ['7'] } }, want: false },
    { name: 'empty list matches nothing', d: { filters: { sources: [] } }, want: false },
  ];
  for (const c of cases) assert.equal(matchesFilters(c.c ?? matched, dest(c.d)), c.want, c.name);
});

test('route: forwardStatuses, per-destination maxAttempts and keys', () => {
  const dests = [dest(), { ...dest({ maxAttempts: 5 }), id: 'd2' }, { ...dest({ filters: { platforms: ['meta'] } }), id: 'd3' }];
  const targets = route(conversionFixture(), source, dests, 10);
  assert.deepEqual(
    targets.map((t) => [t.destinationId, t.connector, t.maxAttempts]),
    [
      ['d1', 'http-postback', 10],
      ['d2', 'http-postback', 5],
    ],
  );
  assert.equal(targets[0]?.dedupKey, dedupKey(conversionFixture(), 'd1'));
  assert.notEqual(targets[0]?.dedupKey, targets[1]?.dedupKey);
  assert.deepEqual(route(conversionFixture({ status: 'rejected' }), source, dests, 10), [], 'rejected is not forwarded by default');
  assert.deepEqual(route(conversionFixture({ status: 'pending' }), source, dests, 10), [], 'pending waits for its approval by default');
  assert.equal(route(conversionFixture({ status: 'pending' }), eager, dests, 10).length, 2, 'a source may forward pending too');
});
