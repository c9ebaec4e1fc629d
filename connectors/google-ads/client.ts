import { DeliveryError, type ConnectorContext, type ConnectorIo, type PlatformRequest, type PlatformResponse } from '../../src/connector-kit';
import { GRPC_HTTP_STATUS, GRPC_STATUS_NAMES, type GoogleAdsErrorEntry } from './errors';
import { UPLOAD_SERVICE } from './map';
import { ADJUST_SERVICE } from './adjust-map';
import { forgetAccessToken, getAccessToken } from '../_shared/google-oauth';
import type { GoogleAdsCredentials, GoogleAdsSettings, UploadClickConversionsBody } from './schema';

/**
 * The I/O of the google-ads connector: google-ads-api's own `uploadClickConversions`, with the
 * gRPC client built by us (from google-ads-api's and google-ads-node's sources; our own experiments).
 * google-ads-api 25.1.0 has no endpoint option
 * (its `grpc_channel_options` reach the client, but `sslCreds` is always its own TLS + OAuth pair),
 * so `ConfigurableCustomer` overrides the protected `loadService` — the verified seam — and gives
 * the library a client with:
 * - servicePath/port/TLS from settings (tests: 127.0.0.1, insecure);
 * - `universeDomain: 'googleapis.com'`, which stops google-auth-library probing the GCE metadata
 *   server (169.254.169.254 / metadata.google.internal) when the stub is created;
 * - a bounded clientConfig: one try, `timeoutMs` in total. The defaults retry UNAVAILABLE for up
 *   to 600 s, which would hold a worker for ten minutes; the engine does its own retries;
 * - no call credentials: the OAuth access token (oauth.ts) travels as `authorization` metadata.
 * The library (~10 MB of generated protos, ~2 s to load) is imported on the first upload only.
 */

type Ctx = ConnectorContext<GoogleAdsSettings, GoogleAdsCredentials>;
type AdsApi = typeof import('google-ads-api');
type Grpc = typeof import('google-gax')['grpc'];
interface GapicClient {
  close(): Promise<void>;
}
/** The two services this connector calls: click conversion uploads and their adjustments. */
type ServiceName = 'ConversionUploadServiceClient' | 'ConversionAdjustmentUploadServiceClient';
interface Lib {
  api: AdsApi;
  grpc: Grpc;
  ClientClasses: Record<ServiceName, new (opts: Record<string, unknown>) => GapicClient>;
  Customer: new (
    seam: Seam,
  ) => {
    conversionUploads: { uploadClickConversions(req: unknown): Promise<unknown> };
    conversionAdjustmentUploads: { uploadConversionAdjustments(req: unknown): Promise<unknown> };
  };
}
interface Seam {
  service: ServiceName;
  client: GapicClient;
  customerId: string;
  loginCustomerId: string | undefined;
  developerToken: string | undefined;
  accessToken: string;
}

let libPromise: Promise<Lib> | undefined;
const clients = new Map<string, GapicClient>();

/** CJS packages seen through ESM: named exports when Node detects them, else on `default`. */
const cjs = <T>(mod: unknown): T => ((mod as { default?: T }).default ?? mod) as T;

function loadLib(): Promise<Lib> {
  libPromise ??= (async () => {
    const [apiMod, nodeMod, gaxMod] = await Promise.all([import('google-ads-api'), import('google-ads-node'), import('google-gax')]);
    const api = ('Customer' in apiMod ? apiMod : cjs<AdsApi>(apiMod)) as AdsApi;
    const gadsNode = ('ConversionUploadServiceClient' in nodeMod ? nodeMod : cjs(nodeMod)) as Record<string, unknown>;
    const grpc = (('grpc' in gaxMod ? gaxMod : cjs(gaxMod)) as typeof import('google-gax')).grpc;
    const ClientClasses = {
      ConversionUploadServiceClient: gadsNode.ConversionUploadServiceClient,
      ConversionAdjustmentUploadServiceClient: gadsNode.ConversionAdjustmentUploadServiceClient,
    } as Lib['ClientClasses'];

    class ConfigurableCustomer extends api.Customer {
      readonly #seam: Seam;
      constructor(seam: Seam) {
        // OAuth secrets stay out of the library: it never builds credentials on this path.
        super(
          { client_id: '', client_secret: '', developer_token: seam.developerToken ?? '' },
          {
            customer_id: seam.customerId,
            refresh_token: '',
            ...(seam.loginCustomerId ? { login_customer_id: seam.loginCustomerId } : {}),
          },
        );
        this.#seam = seam;
      }
      protected override loadService<T>(service: string): T {
        // Only the service of this call is wired to the seam; anything else would silently misroute.
        if (service !== this.#seam.service) throw new DeliveryError('transient', `google-ads: ${service} is not wired to the endpoint seam`);
        return this.#seam.client as T;
      }
      // gax turns these into gRPC metadata. An absent developer token must not go out as "undefined".
      protected override get callHeaders() {
        const headers: Record<string, string> = { authorization: `Bearer ${this.#seam.accessToken}` };
        if (this.#seam.developerToken) headers['developer-token'] = this.#seam.developerToken;
        if (this.#seam.loginCustomerId) headers['login-customer-id'] = this.#seam.loginCustomerId;
        return headers as unknown as { 'developer-token': string };
      }
      // The library replaces a gRPC error by its decoded GoogleAdsFailure and loses the status
      // code; keep the gRPC error and attach the failure instead.
      protected override getGoogleAdsError(error: Error): Error {
        const decoded = super.getGoogleAdsError(error);
        if (decoded !== error) Object.assign(error, { googleAdsFailure: decoded });
        return error;
      }
    }
    return { api, grpc, ClientClasses, Customer: ConfigurableCustomer as unknown as Lib['Customer'] };
  })();
  return libPromise;
}

/**
 * No retries inside gax, `timeoutMs` for the whole call (gax's default retries last up to 600 s:
 * conversion_upload_service_client_config.json).
 */
export function boundedClientConfig(timeoutMs: number) {
  const params = {
    initial_retry_delay_millis: 100,
    retry_delay_multiplier: 1.3,
    max_retry_delay_millis: 1000,
    initial_rpc_timeout_millis: timeoutMs,
    rpc_timeout_multiplier: 1,
    max_rpc_timeout_millis: timeoutMs,
    total_timeout_millis: timeoutMs,
  };
  return {
    interfaces: {
      [UPLOAD_SERVICE]: {
        retry_codes: { non_idempotent: [], idempotent: ['DEADLINE_EXCEEDED', 'UNAVAILABLE'] },
        retry_params: { default: params },
        methods: { UploadClickConversions: { timeout_millis: timeoutMs, retry_codes_name: 'non_idempotent', retry_params_name: 'default' } },
      },
      [ADJUST_SERVICE]: {
        retry_codes: { non_idempotent: [], idempotent: ['DEADLINE_EXCEEDED', 'UNAVAILABLE'] },
        retry_params: { default: params },
        methods: { UploadConversionAdjustments: { timeout_millis: timeoutMs, retry_codes_name: 'non_idempotent', retry_params_name: 'default' } },
      },
    },
  };
}

/** One gRPC channel per endpoint and service, shared by every destination (auth is per call). */
function clientFor(lib: Lib, endpoint: GoogleAdsSettings['endpoint'], timeoutMs: number, service: ServiceName): GapicClient {
  const key = `${endpoint.insecure ? 'h2c' : 'h2'}://${endpoint.host}:${endpoint.port}/${timeoutMs}/${service}`;
  let client = clients.get(key);
  if (!client) {
    client = new lib.ClientClasses[service]({
      servicePath: endpoint.host.includes(':') && !endpoint.host.startsWith('[') ? `[${endpoint.host}]` : endpoint.host,
      port: endpoint.port,
      sslCreds: endpoint.insecure ? lib.grpc.credentials.createInsecure() : lib.grpc.credentials.createSsl(),
      universeDomain: 'googleapis.com',
      clientConfig: boundedClientConfig(timeoutMs),
      fallback: false,
    });
    clients.set(key, client);
  }
  return client;
}

/**
 * Closes every gRPC channel this connector opened. The gateway should call it on shutdown
 * (an open channel's socket can keep the process alive); the next upload reopens as needed.
 */
export async function closeGoogleAdsClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.allSettled(all.map((c) => c.close()));
}

/** Performs the upload `build` described; gRPC failures resolve as a response, like HTTP ones. */
export function sendUpload(request: PlatformRequest, io: ConnectorIo, ctx: Ctx): Promise<PlatformResponse> {
  return call('ConversionUploadServiceClient', request, io, ctx);
}

/** Performs the adjustment upload adjust-map.ts described (ConversionAdjustmentUploadService), the same way. */
export function sendAdjustments(request: PlatformRequest, io: ConnectorIo, ctx: Ctx): Promise<PlatformResponse> {
  return call('ConversionAdjustmentUploadServiceClient', request, io, ctx);
}

async function call(service: ServiceName, request: PlatformRequest, io: ConnectorIo, ctx: Ctx): Promise<PlatformResponse> {
  const { settings, credentials } = ctx;
  const accessToken = await getAccessToken(io.http, settings.tokenUrl, credentials, ctx.now, io.timeoutMs);
  const lib = await loadLib();
  const body = JSON.parse(request.body ?? '{}') as UploadClickConversionsBody;
  const customer = new lib.Customer({
    service,
    client: clientFor(lib, settings.endpoint, io.timeoutMs, service),
    customerId: body.customer_id,
    loginCustomerId: settings.loginCustomerId,
    developerToken: credentials.developer_token,
    accessToken,
  });
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res =
      service === 'ConversionUploadServiceClient'
        ? await customer.conversionUploads.uploadClickConversions(new lib.api.services.UploadClickConversionsRequest(body))
        : await customer.conversionAdjustmentUploads.uploadConversionAdjustments(new lib.api.services.UploadConversionAdjustmentsRequest(body as never));
    return { status: 200, headers: { 'grpc-status': '0' }, body: JSON.stringify(describeResponse(lib, res)), durationMs: elapsed() };
  } catch (err) {
    const e = err as { code?: unknown; details?: unknown; message?: unknown; metadata?: { get(k: string): unknown[] }; googleAdsFailure?: unknown };
    if (typeof e.code !== 'number') throw err;
    // A refused token is dropped, so the attempt after "resume" fetches a new one.
    if (e.code === 16) forgetAccessToken(settings.tokenUrl, credentials);
    const requestId = e.metadata?.get('request-id')?.[0];
    const out = {
      grpc_code: e.code,
      grpc_status: GRPC_STATUS_NAMES[e.code] ?? 'UNKNOWN',
      message: String(e.details || e.message || ''),
      errors: e.googleAdsFailure ? failureEntries(lib, e.googleAdsFailure) : [],
      ...(typeof requestId === 'string' ? { request_id: requestId } : {}),
    };
    return { status: GRPC_HTTP_STATUS[e.code] ?? 500, headers: { 'grpc-status': String(e.code) }, body: JSON.stringify(out), durationMs: elapsed() };
  }
}

interface RawResponse {
  results?: Array<Record<string, unknown>>;
  partial_failure_error?: { code?: number; message?: string; details?: Array<{ type_url?: string; value?: Uint8Array }> } | null;
  job_id?: unknown;
}

/** The response as JSON: results, and partial_failure_error decoded to one entry per error. */
export function describeResponse(lib: Pick<Lib, 'api'>, raw: unknown) {
  const res = (raw ?? {}) as RawResponse;
  const pfe = res.partial_failure_error;
  const errors = (pfe?.details ?? [])
    .filter((d) => d.type_url?.endsWith('errors.GoogleAdsFailure') && d.value)
    .flatMap((d) => failureEntries(lib, lib.api.errors.GoogleAdsFailure.decode(d.value as Uint8Array)));
  const jobId = res.job_id === undefined || res.job_id === null ? '' : String(res.job_id);
  return {
    results: (res.results ?? []).map(cleanResult),
    ...(pfe && (pfe.code || errors.length > 0) ? { partial_failure_error: { code: pfe.code ?? 0, message: pfe.message ?? '', errors } } : {}),
    ...(jobId && jobId !== '0' ? { job_id: jobId } : {}),
  };
}

function cleanResult(r: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['gclid', 'gbraid', 'wbraid', 'conversion_action', 'conversion_date_time', 'order_id', 'adjustment_date_time']) {
    const v = r[k];
    if (typeof v === 'string' && v) out[k] = v;
  }
  return out;
}

interface FailureObject {
  errors?: Array<{
    error_code?: Record<string, string>;
    message?: string;
    location?: { field_path_elements?: Array<{ field_name?: string; index?: number }> };
    details?: { quota_error_details?: { retry_delay?: { seconds?: string | number; nanos?: number } } };
  }>;
}

/** GoogleAdsFailure → entries; enum numbers become names through the generated toObject. */
export function failureEntries(lib: Pick<Lib, 'api'>, failure: unknown): GoogleAdsErrorEntry[] {
  const Failure = lib.api.errors.GoogleAdsFailure;
  const obj = Failure.toObject(failure as InstanceType<typeof Failure>, { enums: String, longs: String }) as FailureObject;
  return (obj.errors ?? []).map((e) => {
    const [type = 'unknown', code = 'UNKNOWN'] = Object.entries(e.error_code ?? {})[0] ?? [];
    // The row: `conversions[i]` of an upload, `conversion_adjustments[i]` of an adjustment upload.
    const index = e.location?.field_path_elements?.find((p) => p.field_name === 'conversions' || p.field_name === 'conversion_adjustments')?.index;
    const delay = e.details?.quota_error_details?.retry_delay;
    const retryMs = delay ? Number(delay.seconds ?? 0) * 1000 + Math.round((delay.nanos ?? 0) / 1e6) : undefined;
    return {
      ...(typeof index === 'number' ? { index } : {}),
      type,
      error_code: String(code),
      message: e.message ?? '',
      ...(retryMs !== undefined && retryMs > 0 ? { retry_delay_ms: retryMs } : {}),
    };
  });
}
