/** Values both the bench servers and the scenarios use. */
export const BENCH_SECRET = 'bench-source-secret-0123456789';
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const OFFER_URL = 'https://offer.example.com/lp?aff_id=7&offer_id=42';
/** The offer the postbacks carry; the "no-delivery" destination filters on another one. */
export const SENT_OFFER = '42';
export const UNSENT_OFFER = 'offer-the-bench-never-sends';

export type GatewayVariant = 'no-delivery' | 'held-outbox';
export const GATEWAY_VARIANTS: readonly GatewayVariant[] = ['no-delivery', 'held-outbox'];
