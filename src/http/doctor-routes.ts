import type Router from '@koa/router';
import { ApiError, zodDetails } from '../api-error';
import type { Config } from '../config';
import type { HttpClient } from '../connector-kit/http-types';
import { diagnose, type DoctorEnv } from '../doctor/diagnose';
import { doctorInputSchema, isOk } from '../doctor/findings';
import { liveCheck } from '../doctor/live';
import type { PartnerPostback } from '../network/model';
import { createPartnerHttpClient } from '../network/partner-http';
import { createTargetPolicy } from '../network/ssrf';
import { adminAuth } from './admin-auth';
import { parseBody } from './body';

export interface DoctorRouteDeps {
  config: Config;
  /** The stored partner postbacks (duplicate check); absent when the network side is off. */
  postbacks?: () => Promise<readonly PartnerPostback[]>;
  /** Outbound client for the live check; default: the SSRF-guarded partner client. */
  http?: HttpClient;
}

/** What the doctor compares a URL with, from the running configuration. */
export function doctorEnv(config: Config): DoctorEnv {
  return {
    sources: config.sources,
    publicUrl: config.server.publicUrl,
    gate: createTargetPolicy(config.network.allowPrivateTargets),
    destinations: config.destinations.map((d) => ({
      id: d.id, connector: d.connector, url: typeof d.settings.url === 'string' ? d.settings.url : undefined, events: d.filters.events,
    })),
  };
}

/**
 * POST /v1/doctor (issue 8 §2): the postback doctor for the console, the CLI and scripts. The
 * live check goes through the same SSRF guard as partner postbacks (private targets are refused
 * at connect time). TODO(lead): once the guard lives in the one outbound client
 * (src/connector-kit/outbound-guard.ts, h3), pass deps.http from app.ts instead.
 */
export function doctorRoutes(router: Router, deps: DoctorRouteDeps): void {
  const auth = adminAuth(deps.config.admin.token);
  const env = doctorEnv(deps.config);
  const policy = createTargetPolicy(deps.config.network.allowPrivateTargets);
  let http = deps.http;

  router.post('/v1/doctor', auth, parseBody, async (ctx) => {
    const parsed = doctorInputSchema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new ApiError(400, 'INVALID_REQUEST', 'invalid doctor request', zodDetails(parsed.error.issues));
    const input = parsed.data;
    let postbacks: readonly PartnerPostback[] = [];
    if (input.context.scope && deps.postbacks) {
      try {
        postbacks = await deps.postbacks();
      } catch {
        ctx.set('Retry-After', '5');
        throw new ApiError(503, 'UNAVAILABLE', 'the stored partner postbacks cannot be read right now; try again');
      }
    }
    const findings = diagnose(input, { ...env, postbacks });
    if (!input.live) {
      ctx.body = { ok: isOk(findings), findings };
      return;
    }
    http ??= createPartnerHttpClient(policy, { maxSockets: 4, userAgent: 'closeloop/0.1 (postback doctor)' });
    const live = await liveCheck(input, { http, policy, timeoutMs: Math.min(deps.config.network.timeoutMs, 8_000) });
    const all = [...findings, ...live.findings];
    ctx.body = { ok: isOk(all), findings: all, live: live.live };
  });
}
