import type { ConversionRecord } from '../../src/connector-kit';

/**
 * For test/conformance.test.ts: valid settings, no credentials (a partner's token lives in its
 * own URL), and a conversion as the network side stores it (macro values in `params`).
 */
export const conformanceFixture = {
  settings: { url: 'https://partner.example/pb?tx={transaction_id}&p={payout}&s5={sub5}&bad={Sub5}', method: 'GET' },
  credentials: {},
  noSecrets: true as const,
  conversion: {
    id: '9c0534c99eb34b57bda16f92b6d5d3d4',
    source: 'network',
    transactionId: '56d75d3a4d6e433fb215698c056d0d58',
    event: 'conversion/9c0534c99eb34b57bda16f92b6d5d3d4',
    status: 'approved',
    payout: '12.5',
    currency: 'USD',
    offerId: '12',
    clickId: null,
    matched: true,
    click: null,
    params: {
      transaction_id: '56d75d3a4d6e433fb215698c056d0d58',
      conversion_id: '9c0534c99eb34b57bda16f92b6d5d3d4',
      offer_id: '12',
      affiliate_id: '7',
      sub5: 'cid 5',
      payout: '12.5',
      currency: 'USD',
      timestamp: '1768478340',
    },
    receivedAt: Date.UTC(2026, 0, 15, 11, 59, 0),
    updatedAt: Date.UTC(2026, 0, 15, 11, 59, 0),
  } satisfies ConversionRecord,
};
