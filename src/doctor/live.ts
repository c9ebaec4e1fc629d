import { toDeliveryError } from '../connector-kit/delivery-error';
import type { HttpClient, PlatformResponse } from '../connector-kit/http-types';
import { finding, type DoctorInput, type Finding } from './findings';
import type { DoctorGuard } from './guard';
import { privateHostFinding } from './hosts';
import { urlShape, withSamples } from './url-scan';

/** One request of the live check, as the answer shows it (`live` in POST /v1/doctor). */
export interface LiveProbe {
  url: string;
  status: number | null;
  location: string | null;
  body: string | null;
  duration_ms: number | null;
  error: { code: string; message: string } | null;
}
export interface LiveResult {
  request: LiveProbe | null;
  /** For an http:// URL: the same address over https://, to see whether the host serves HTTPS. */
  https_probe: LiveProbe | null;
}

export interface LiveDeps {
  /** The SSRF-guarded outbound client (guard.ts): it refuses private addresses at connect time. */
  http: HttpClient;
  /** Resolves the host and refuses private/loopback/metadata addresses before anything is sent. */
  guard: Pick<DoctorGuard, 'checkUrl'>;
  timeoutMs?: number;
}

/** Test values: obviously not a real sale, so a tracker that records it can be cleaned up. */
export const SAMPLE_VALUE = 'closeloop-doctor-test';
const sample = (name: string) => (/payout|amount|revenue/.test(name) ? '0.00' : SAMPLE_VALUE);

/** Certificate problems: the host speaks TLS but its certificate would be refused. */
const CERT_ERRORS = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;
const NOT_TLS = /^(EPROTO|ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_)/;
const snippet = (body: string) => body.replace(/\s+/g, ' ').trim().slice(0, 300);

async function probe(url: string, deps: LiveDeps): Promise<LiveProbe> {
  try {
    const res: PlatformResponse = await deps.http.send({ method: 'GET', url, headers: { accept: '*/*' } }, { timeoutMs: deps.timeoutMs ?? 8_000 });
    return { url, status: res.status, location: res.headers.location ?? null, body: snippet(res.body), duration_ms: res.durationMs, error: null };
  } catch (err) {
    const e = toDeliveryError(err);
    const cause = (e.cause as { code?: string } | undefined)?.code;
    return { url, status: null, location: null, body: null, duration_ms: null, error: { code: cause ?? e.platformCode ?? 'NETWORK', message: e.message } };
  }
}

/**
 * The live check (issue 8 §2; failure modes 3 and 5 of a network's postback guide,
 * https://www.ourdreamaiaffiliate.com/onboarding/postbacks): one GET to the URL with test
 * values through the guarded client, and for an http:// URL one more over https://; then what
 * the answers mean — a TLS error, a redirect and its Location, a 4xx and its body.
 */
export async function liveCheck(input: DoctorInput, deps: LiveDeps): Promise<{ findings: Finding[]; live: LiveResult }> {
  const none: LiveResult = { request: null, https_probe: null };
  if (input.kind === 'inbound') {
    return {
      findings: [
        finding(
          'info',
          'LIVE_SKIPPED',
          'The live check does not call inbound URLs: that would record a conversion on this gateway.',
          'Use "fire a sample postback" in Links & sources (POST /v1/sources/:id/sample) instead.',
        ),
      ],
      live: none,
    };
  }
  const raw = input.kind === 'pixel' ? (/\bsrc\s*=\s*["']?([^"'\s>]+)/i.exec(input.url)?.[1] ?? input.url) : input.url;
  const shape = urlShape(raw);
  if (!shape.parts || shape.findings.some((f) => f.severity === 'error')) {
    return {
      findings: [
        finding(
          'info',
          'LIVE_SKIPPED',
          'The live check was not run because the URL itself has errors.',
          'Fix the errors above, then run the live check again.',
        ),
      ],
      live: none,
    };
  }
  const url = withSamples(raw.trim(), (n) => encodeURIComponent(sample(n)));
  const verdict = await deps.guard.checkUrl(url);
  if (!verdict.allowed) {
    if (verdict.why === 'private') return { findings: [privateHostFinding(shape.parts.host, verdict.reason, null)], live: none };
    return {
      findings: [
        finding(
          'error',
          'LIVE_DNS',
          `The domain ${shape.parts.host} does not exist or cannot be found (${verdict.reason}). Every postback to it fails.`,
          'Check the spelling of the domain with your tracker or partner.',
        ),
      ],
      live: none,
    };
  }
  const out: Finding[] = [];
  const request = await probe(url, deps);
  out.push(...explain(request, input));
  let httpsProbe: LiveProbe | null = null;
  if (shape.parts.scheme === 'http') {
    httpsProbe = await probe(url.replace(/^http:/i, 'https:'), deps);
    out.push(...explainHttps(request, httpsProbe, raw));
  }
  return { findings: out, live: { request, https_probe: httpsProbe } };
}

function explain(p: LiveProbe, input: DoctorInput): Finding[] {
  if (p.error) {
    const code = p.error.code;
    if (code === 'BLOCKED_TARGET' || /ERR_BLOCKED_TARGET/.test(code)) return [privateHostFinding(new URL(p.url).hostname, p.error.message, null)];
    if (CERT_ERRORS.test(code)) {
      return [
        finding(
          'error',
          'LIVE_TLS_ERROR',
          `The destination's HTTPS certificate is not accepted (${code}): postback senders refuse the connection, so every postback fails.`,
          "Ask the destination to install a valid certificate for this domain (e.g. from Let's Encrypt); do not switch to http:// to work around it.",
        ),
      ];
    }
    if (NOT_TLS.test(code)) {
      return [
        finding(
          'error',
          'LIVE_TLS_ERROR',
          `The destination does not speak HTTPS at this address (${code}).`,
          'Check the port and scheme with the destination: use the https:// URL they publish.',
        ),
      ];
    }
    if (code === 'TIMEOUT')
      return [
        finding(
          'error',
          'LIVE_TIMEOUT',
          `The destination did not answer in time (${p.error.message}). Slow answers count as failures and lead to deactivation.`,
          'Ask the destination why it is slow; check the URL points at their postback endpoint.',
        ),
      ];
    return [
      finding(
        'error',
        'LIVE_UNREACHABLE',
        `The destination could not be reached (${code}): ${p.error.message}.`,
        'Check the domain and port; the server may be down or refusing connections.',
      ),
    ];
  }
  const status = p.status as number;
  const body = p.body ? ` It answered: "${p.body}".` : '';
  if (status >= 200 && status < 300) {
    return [
      finding(
        'info',
        'LIVE_OK',
        `The destination answered ${status} in ${p.duration_ms} ms to a test request (values "${SAMPLE_VALUE}"): it counts as a success.`,
        'Nothing to fix. If the destination stored the test conversion, delete it there.',
      ),
    ];
  }
  if (status >= 300 && status < 400) {
    const to = p.location ? ` to ${p.location}` : '';
    return [
      finding(
        'error',
        'LIVE_REDIRECT',
        `The destination answered ${status}, a redirect${to}. A redirect is not a success: postbacks are not followed to the new address, so each one counts as a failure.`,
        p.location
          ? `Use the address it redirects to: ${p.location.replace(/\?.*$/, '')} (keep your parameters).`
          : 'Ask the destination for its current postback URL.',
      ),
    ];
  }
  const hints: Record<number, string> = {
    400: 'a required parameter is missing or has the wrong name or format, or the URL was damaged by manual edits (seed: "400 errors from the destination")',
    401: 'an authentication token is missing or expired',
    403: 'an authentication token is missing or expired, or the request is blocked',
    404: 'the path is wrong: the destination has no postback endpoint there',
    405: 'the destination expects POST, not GET',
    410: 'the endpoint no longer exists',
    422: 'a parameter value is not in the format it expects',
  };
  if (status >= 400 && status < 500) {
    const hint = hints[status] ?? 'it refuses the request as sent';
    const testNote =
      status === 400 || status === 422 ? ` Test values ("${SAMPLE_VALUE}") can cause this when the destination checks click ids; read the answer.` : '';
    return [
      finding(
        'error',
        'LIVE_CLIENT_ERROR',
        `The destination answered ${status}: ${hint}.${body}${testNote}`,
        status === 405
          ? 'Switch the postback method to POST (partner postbacks: http_method POST).'
          : status === 404
            ? "Copy the postback URL again from the destination's documentation or dashboard."
            : 'Compare the parameters with what the destination documents and fix the URL; then run the live check again.',
      ),
    ];
  }
  return [
    finding(
      'warning',
      'LIVE_SERVER_ERROR',
      `The destination answered ${status}: its own server failed.${body} Postbacks are retried, but repeated failures deactivate the postback.`,
      `Tell the destination's owner; ${input.kind === 'outbound' ? 're-enable after it answers 200 again.' : 'check again later.'}`,
    ),
  ];
}

function explainHttps(request: LiveProbe, https: LiveProbe, raw: string): Finding[] {
  const fixed = raw.trim().replace(/^http:/i, 'https:');
  const position = { start: raw.indexOf(raw.trim()), end: raw.indexOf(raw.trim()) + 4 };
  if (request.location && /^https:/i.test(request.location)) {
    return [
      finding(
        'error',
        'HTTP_BUT_HTTPS',
        `This host serves HTTPS: the http:// address redirects to ${request.location}. Postbacks sent to http:// fail (seed: "URL mismatch").`,
        `Use ${fixed}`,
        position,
      ),
    ];
  }
  if (https.status !== null) {
    return [
      finding(
        request.status !== null && request.status < 300 ? 'warning' : 'error',
        'HTTP_BUT_HTTPS',
        `This host also serves HTTPS (https:// answered ${https.status}). Use it: modern destinations refuse plain http:// postbacks without a useful error, and http:// sends conversion data unencrypted.`,
        `Use ${fixed}`,
        position,
      ),
    ];
  }
  if (https.error && CERT_ERRORS.test(https.error.code)) {
    return [
      finding(
        'warning',
        'HTTP_BUT_HTTPS',
        `This host speaks HTTPS, but its certificate is not accepted (${https.error.code}).`,
        `Ask the destination to fix its certificate, then use ${fixed}`,
        position,
      ),
    ];
  }
  return [
    finding(
      'info',
      'PLAIN_HTTP',
      'This host does not serve HTTPS, so http:// is what it expects. The conversion data travels unencrypted.',
      'Keep http:// only if the destination explicitly requires it.',
      position,
    ),
  ];
}
