import type Router from '@koa/router';
import { ApiError, zodDetails } from '../api-error';
import type { Config } from '../config';
import type { HttpClient } from '../connector-kit/http-types';
import { diagnose, type DoctorEnv } from '../doctor/diagnose';
import { doctorInputSchema, isOk } from '../doctor/findings';
import { liveCheck } from '../doctor/live';
import type { PartnerPostback } from '../network/model';
import { doctorGuard, doctorHttpClient, type DoctorGuard } from '../doctor/guard';
import { adminAuth } from './admin-auth';
import { parseBody } from './body';

export interface DoctorRouteDeps {
  config: Config;
  /** The stored partner postbacks (duplicate check); absent when the network side is off. */
  postbacks?: () => Promise<readonly PartnerPostback[]>;
  /** Outbound client for the live check; default: one refusing private targets at connect time (guard.ts). */
  http?: HttpClient;
  /** The gateway's SSRF guard; default: one over the config's allow-list (guard.ts). */
  guard?: DoctorGuard;
}

/** What the doctor compares a URL with, from the running configuration. */
export function doctorEnv(config: Config, guard: DoctorGuard): DoctorEnv {
  return {
    sources: config.sources,
    publicUrl: config.server.publicUrl,
    gate: guard,
    destinations: config.destinations.map((d) => ({
      id: d.id,
      connector: d.connector,
      url: typeof d.settings.url === 'string' ? d.settings.url : undefined,
      events: d.filters.events,
    })),
  };
}

/**
 * POST /v1/doctor (issue 8 §2): the postback doctor for the console, the CLI and scripts. The
 * live check goes through the same SSRF guard as partner postbacks (private targets are refused
 * at connect time). Once the guard lives in the one outbound client (h3's
 * src/connector-kit/outbound-guard.ts), app.ts passes the gateway's guard and client here.
 */
export function doctorRoutes(router: Router, deps: DoctorRouteDeps): void {
  const auth = adminAuth(deps.config.admin.token);
  const guard = deps.guard ?? doctorGuard(deps.config);
  const env = doctorEnv(deps.config, guard);
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
    http ??= doctorHttpClient(guard);
    const live = await liveCheck(input, { http, guard, timeoutMs: Math.min(deps.config.network.timeoutMs, 8_000) });
    const all = [...findings, ...live.findings];
    ctx.body = { ok: isOk(all), findings: all, live: live.live };
  });
}
