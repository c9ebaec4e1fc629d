import type { ConversionRecord } from '../../src/conversions/conversion';
import { newId } from '../../src/ids';

/**
 * A conversion as intake records an approved, unmatched postback of source `net` (1.00 USD, no
 * click, no params), received at `at`: what ledger tests write when only the row's life matters.
 */
export function conversionRecord(transactionId: string, at: number, overrides: Partial<ConversionRecord> = {}): ConversionRecord {
  return {
    id: newId(at),
    source: 'net',
    transactionId,
    event: 'conversion',
    status: 'approved',
    payout: '1.00',
    currency: 'USD',
    offerId: null,
    clickId: null,
    matched: false,
    click: null,
    params: {},
    receivedAt: at,
    updatedAt: at,
    ...overrides,
  };
}
