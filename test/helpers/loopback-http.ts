import { createHttpClient, type UndiciHttpClientOptions } from '../../src/connector-kit/http-client';
import type { HttpClient } from '../../src/connector-kit/http-types';
import { createOutboundGuard } from '../../src/connector-kit/outbound-guard';

/**
 * The real outbound client with 127.0.0.1 allow-listed, for tests whose fakes listen there. The
 * production default (`createHttpClient()`) refuses loopback, as `outbound.allowPrivateTargets: []` does.
 */
export function loopbackHttpClient(options: Omit<UndiciHttpClientOptions, 'guard'> = {}): HttpClient {
  return createHttpClient({ ...options, guard: createOutboundGuard(['127.0.0.1']) });
}
