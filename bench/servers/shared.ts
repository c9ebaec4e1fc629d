import { parseConfig } from '../../src/config';

/** Values both the bench servers and the scenarios use. */
export const BENCH_SECRET = 'bench-source-secret-0123456789';
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const OFFER_URL = 'https://offer.example.com/lp?aff_id=7&offer_id=42';
/** The offer the postbacks carry; the "no-delivery" destination filters on another one. */
export const SENT_OFFER = '42';
export const UNSENT_OFFER = 'offer-the-bench-never-sends';

export type GatewayVariant = 'no-delivery' | 'held-outbox';
export const GATEWAY_VARIANTS: readonly GatewayVariant[] = ['no-delivery', 'held-outbox'];

/**
 * The bench gateway's configuration (servers/gateway.ts, intake-probe.ts): link `demo`, tracked
 * source `net`, one http-postback destination `tracker` at 127.0.0.1:9 (never reached).
 * "no-delivery" filters the destination on an offer the bench never sends.
 */
export function benchGatewayConfig(storage: Record<string, unknown>, variant: GatewayVariant = 'held-outbox') {
  return parseConfig({
    admin: { token: BENCH_ADMIN_TOKEN },
    server: { host: '127.0.0.1', port: 0 },
    storage,
    log: { level: 'warn' },
    links: [{ id: 'demo', offerUrl: OFFER_URL }],
    sources: [{ id: 'net', secret: BENCH_SECRET, mode: 'tracked' }],
    outbound: { allowPrivateTargets: ['127.0.0.1'] },
    destinations: [
      {
        id: 'tracker',
        connector: 'http-postback',
        settings: { url: 'http://127.0.0.1:9/postback?cid={click_id}&payout={payout}&txid={transaction_id}' },
        filters: variant === 'no-delivery' ? { offers: [UNSENT_OFFER] } : {},
        acceptUnmatched: true,
      },
    ],
  });
}
