import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversionFixture } from '../../connectors/_shared/test-fixtures';
import type { DeliveryRow } from '../store/ledger';
import { adjustmentTime, correctionsView, planAdjustments, type SupportOf } from './adjustments';

const delivery = (destinationId: string, over: Partial<DeliveryRow> = {}): DeliveryRow => ({
  id: `d-${destinationId}`,
  conversionId: 'c-1',
  destinationId,
  connector: destinationId.startsWith('gads') ? 'google-ads' : 'meta',
  dedupKey: `key-${destinationId.split('#')[0]}`,
  status: 'succeeded',
  attempts: 1,
  maxAttempts: 6,
  nextAttemptAt: 0,
  leaseOwner: null,
  leaseUntil: null,
  lastError: null,
  lastKind: null,
  adjustment: null,
  identifiersSent: null,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});
const support: SupportOf = (id) => (id === 'gads' ? 'enabled' : id === 'gads-off' ? 'not_enabled' : 'unsupported');
const stored = conversionFixture({ status: 'approved', payout: '12.50', currency: 'USD' });
const NOW = 1_800_000_000_000;

describe('planAdjustments (pure)', () => {
  it('a reject after delivery: one retraction per opted-in destination that can, with the delivery’s key and the queue time', () => {
    const plan = planAdjustments(stored, { ...stored, status: 'rejected' }, [delivery('gads'), delivery('gads-off'), delivery('fb')], support, NOW);
    assert.deepEqual(plan, [
      {
        destinationId: 'gads#retraction',
        connector: 'google-ads',
        dedupKey: 'key-gads',
        maxAttempts: 6,
        adjustment: { type: 'retraction', at: NOW, of: 'd-gads' },
      },
    ]);
  });

  it('nothing for a delivery not sent yet, nor a second time', () => {
    const rejected = { ...stored, status: 'rejected' as const };
    assert.deepEqual(planAdjustments(stored, rejected, [delivery('gads', { status: 'pending' })], support, NOW), []);
    const queued = delivery('gads#retraction', { adjustment: { type: 'retraction', at: NOW - 1, of: 'd-gads' }, status: 'pending' });
    assert.deepEqual(planAdjustments(stored, rejected, [delivery('gads'), queued], support, NOW), []);
  });

  it('another payout: a restatement; the same amount written differently, or the value already restated: none', () => {
    const plan = planAdjustments(stored, { ...stored, payout: '20' }, [delivery('gads')], support, NOW);
    assert.deepEqual(
      plan.map((t) => t.adjustment),
      [{ type: 'restatement', at: NOW, of: 'd-gads', value: '20', currency: 'USD' }],
    );
    assert.deepEqual(planAdjustments(stored, { ...stored, payout: '12.5' }, [delivery('gads')], support, NOW), []);
    const restated = delivery('gads#restatement', { adjustment: { type: 'restatement', at: NOW - 1, of: 'd-gads', value: '20.00', currency: 'USD' } });
    assert.deepEqual(planAdjustments(stored, { ...stored, payout: '20' }, [delivery('gads'), restated], support, NOW), []);
    assert.equal(planAdjustments(stored, { ...stored, payout: '12.50' }, [delivery('gads'), restated], support, NOW).length, 1, 'back to the first value');
  });

  it('no restatement of a retracted conversion, nor on a status change', () => {
    const retracted = delivery('gads#retraction', { adjustment: { type: 'retraction', at: NOW - 1, of: 'd-gads' } });
    assert.deepEqual(planAdjustments(stored, { ...stored, payout: '20' }, [delivery('gads'), retracted], support, NOW), []);
    assert.deepEqual(planAdjustments({ ...stored, status: 'pending' }, { ...stored, payout: '20' }, [delivery('gads')], support, NOW), []);
  });
});

describe('adjustmentTime (pure)', () => {
  it('never in the conversion’s second, never in the previous restatement’s second', () => {
    assert.equal(adjustmentTime(10_500, 2_000), 10_500);
    assert.equal(adjustmentTime(2_400, 2_100), 3_000, 'queued in the conversion’s own second');
    assert.equal(adjustmentTime(3_700, 2_100, 3_000), 4_000, 'a second restatement within the same second');
    assert.equal(adjustmentTime(9_000, 2_100, 3_000), 9_000);
  });
});

describe('correctionsView (pure)', () => {
  it('a rejected conversion: queued corrections with their state, and where it still counts', () => {
    const rejected = { ...stored, status: 'rejected' as const };
    const view = correctionsView(
      rejected,
      [
        delivery('gads'),
        delivery('gads-off'),
        delivery('fb'),
        delivery('gads#retraction', { status: 'pending', adjustment: { type: 'retraction', at: NOW, of: 'd-gads' } }),
      ],
      support,
    );
    assert.deepEqual(
      view.map((c) => [c.destination, c.type, c.status]),
      [
        ['gads', 'retraction', 'pending'],
        ['gads-off', 'retraction', 'not_enabled'],
        ['fb', 'retraction', 'cannot_be_corrected'],
      ],
    );
  });
});
