import type { Config } from '../config';
import type { HttpClient } from '../connector-kit/http-types';
import { createPartnerHttpClient } from '../network/partner-http';
import { createTargetPolicy } from '../network/ssrf';

/**
 * The SSRF guard as the doctor uses it: `refuse` per address (pure), `checkUrl` with DNS (live
 * check only). The shape of h3's `OutboundGuard` (src/connector-kit/outbound-guard.ts), so once
 * that lands the gateway's own guard is passed as it is.
 */
export interface DoctorGuard {
  refuse(host: string, address: string): string | null;
  checkUrl(url: string): Promise<{ allowed: boolean; reason: string; why?: 'private' | 'unresolvable' | 'unparseable' }>;
}

/**
 * The guard over today's src/network/ssrf.ts and its allow-list. TODO(lead, h3 merge): ssrf.ts moves
 * into src/connector-kit/outbound-guard.ts; then `createOutboundGuard(outboundAllowList(config).entries)`.
 */
export function doctorGuard(config: Config): DoctorGuard {
  const policy = createTargetPolicy(config.network.allowPrivateTargets);
  return {
    refuse: (host, address) => policy.refuse(host, address),
    async checkUrl(url) {
      const v = await policy.check(url);
      return v.ok ? { allowed: true, reason: '' } : { allowed: false, reason: v.reason, why: v.why };
    },
  };
}

/**
 * The client of the live check: it refuses private addresses at connect time (no DNS-rebinding
 * gap). TODO(lead, h3 merge): the gateway's one guarded client, `createHttpClient({ guard })`.
 */
export function doctorHttpClient(guard: DoctorGuard): HttpClient {
  return createPartnerHttpClient(guard, { maxSockets: 4, userAgent: 'closeloop/0.1 (postback doctor)' });
}
