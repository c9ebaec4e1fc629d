import type { Config } from '../config';
import { createHttpClient } from '../connector-kit/http-client';
import type { HttpClient } from '../connector-kit/http-types';
import { createOutboundGuard, type OutboundGuard } from '../connector-kit/outbound-guard';
import { outboundAllowList } from '../delivery/outbound-boot';

/** The doctor judges hosts with the gateway's own outbound policy (one allow-list, src/connector-kit/outbound-guard.ts). */
export type DoctorGuard = OutboundGuard;

export function doctorGuard(config: Config): DoctorGuard {
  return createOutboundGuard(outboundAllowList(config).entries);
}

/** The live check sends through the same guarded client as every delivery. */
export function doctorHttpClient(guard: DoctorGuard): HttpClient {
  return createHttpClient({ guard });
}
