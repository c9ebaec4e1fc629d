import * as grpc from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import net from 'node:net';
import protobuf from 'protobufjs';
import { createTokenEndpoint, type OAuthClient } from './google-data-manager';
import { startFakeServer } from '../helpers/fake-server';
import { GOOGLE_ADS_API_VERSION } from '../../connectors/google-ads/map';
import { createAdjustmentLedger } from './google-ads-adjustments';

/**
 * Google Ads ConversionUploadService on 127.0.0.1:0: a grpc-js server built from google-ads-node's
 * own protos.json, plus an OAuth token endpoint over HTTP. It checks requests
 * as Google documents them (conversion_upload_service.proto of the pinned version) and can be scripted to
 * answer with partial failures, RPC errors carrying the googleadsfailure-bin trailer, or outages.
 */

const require = createRequire(import.meta.url);
// The connector's pinned version: the fake speaks what the connector speaks, and the contract
// test checks that the library's protos hold that version.
const V = `google.ads.googleads.${GOOGLE_ADS_API_VERSION}`;
export const FAILURE_TRAILER = `${V}.errors.googleadsfailure-bin`;
const PATH = `/${V}.services.ConversionUploadService/UploadClickConversions`;
const ADJUST_PATH = `/${V}.services.ConversionAdjustmentUploadService/UploadConversionAdjustments`;

let root: protobuf.Root | undefined;
function types() {
  root ??= protobuf.Root.fromJSON(require('google-ads-node/build/protos/protos.json'));
  return {
    Req: root.lookupType(`${V}.services.UploadClickConversionsRequest`),
    Res: root.lookupType(`${V}.services.UploadClickConversionsResponse`),
    Failure: root.lookupType(`${V}.errors.GoogleAdsFailure`),
    AdjReq: root.lookupType(`${V}.services.UploadConversionAdjustmentsRequest`),
    AdjRes: root.lookupType(`${V}.services.UploadConversionAdjustmentsResponse`),
  };
}

/** One Google Ads error: `type` is the ErrorCode oneof field, `code` its enum value name. */
export interface FakeAdsError {
  type: string;
  code: string;
  message?: string;
  /** Row of `conversions`, when the error concerns one. */
  index?: number;
  /** QuotaErrorDetails.retry_delay, seconds. */
  retryDelayS?: number;
}

export type FakeStep = { rowErrors: FakeAdsError[] } | { rpcError: { status: grpc.status; errors?: FakeAdsError[]; message?: string } } | { delayMs: number };

export interface RecordedCall {
  /** UploadClickConversions or UploadConversionAdjustments. */
  method: string;
  request: any;
  metadata: Record<string, string>;
  /** What the fake answered: 'ok' (maybe with row errors) or a gRPC status name. */
  answer: string;
}

export interface AcceptedConversion {
  row: any;
  customerId: string;
  metadata: Record<string, string>;
}

export function encodeFailure(errors: readonly FakeAdsError[], rowsField = 'conversions'): Buffer {
  const { Failure } = types();
  const obj = {
    errors: errors.map((e) => ({
      error_code: { [e.type]: e.code },
      message: e.message ?? e.code,
      ...(e.index !== undefined ? { location: { field_path_elements: [{ field_name: rowsField, index: e.index }] } } : {}),
      ...(e.retryDelayS !== undefined ? { details: { quota_error_details: { retry_delay: { seconds: e.retryDelayS } } } } : {}),
    })),
  };
  return Buffer.from(Failure.encode(Failure.fromObject(obj)).finish());
}

const DATE_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d$/;
const ACTION = /^customers\/\d{10}\/conversionActions\/\d+$/;

/** Row checks Google makes (and `order_id`, which this project always sends). */
function rowErrors(rows: any[], seenOrders: Set<string>): FakeAdsError[] {
  const out: FakeAdsError[] = [];
  const inRequest = new Set<string>();
  rows.forEach((r, index) => {
    const err = (type: string, code: string, message: string) => out.push({ type, code, message, index });
    const ids = ['gclid', 'gbraid', 'wbraid'].filter((k) => typeof r[k] === 'string' && r[k] !== '');
    // Google's own message for gbraid+wbraid; a gclid with a braid is refused the same way here.
    if (ids.length > 1) err('conversion_upload_error', 'GBRAID_WBRAID_BOTH_SET', `only one of gclid, gbraid, wbraid may be set (got ${ids.join(', ')})`);
    if (ids.length === 0) err('field_error', 'REQUIRED', 'one of gclid, gbraid, wbraid is required');
    if (!DATE_TIME.test(String(r.conversion_date_time ?? ''))) {
      err('date_error', 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET', `conversion_date_time "${r.conversion_date_time}" is not yyyy-mm-dd hh:mm:ss+|-hh:mm`);
    }
    if (!ACTION.test(String(r.conversion_action ?? '')))
      err('request_error', 'RESOURCE_NAME_MALFORMED', `conversion_action "${r.conversion_action}" is malformed`);
    if (r.currency_code !== undefined && !/^[A-Z]{3}$/.test(r.currency_code)) err('conversion_upload_error', 'UNKNOWN', 'currency_code must be ISO 4217');
    // Enhanced conversions for leads: each entry one hashed identifier, SHA-256 hex.
    (Array.isArray(r.user_identifiers) ? r.user_identifiers : []).forEach((u: Record<string, unknown>) => {
      const set = ['hashed_email', 'hashed_phone_number'].filter((k) => typeof u?.[k] === 'string' && u[k] !== '');
      if (set.length !== 1)
        err('conversion_upload_error', 'INVALID_USER_IDENTIFIER', 'each user identifier carries exactly one of hashed_email, hashed_phone_number');
      else if (!/^[0-9a-f]{64}$/.test(String(u[set[0] as string]))) err('conversion_upload_error', 'INVALID_USER_IDENTIFIER', `${set[0]} must be SHA-256 hex`);
    });
    // ClickConversion.consent (developers.google.com/google-ads/api/reference/rpc/v25/Consent):
    // ad_user_data a ConsentStatus; ad_personalization "can only be set for
    // OfflineUserDataJobService and UserDataService". Decoded with enums as names, a value the
    // client failed to encode shows up as missing or UNSPECIFIED.
    if (r.consent !== undefined && r.consent !== null) {
      if (!['GRANTED', 'DENIED'].includes(r.consent.ad_user_data))
        err('field_error', 'INVALID_VALUE', `consent.ad_user_data must be GRANTED or DENIED (got ${String(r.consent.ad_user_data)})`);
      if (r.consent.ad_personalization !== undefined && r.consent.ad_personalization !== 'UNSPECIFIED')
        err('field_error', 'VALUE_MUST_BE_UNSET', 'consent.ad_personalization can only be set for OfflineUserDataJobService and UserDataService');
    }
    if (Array.isArray(r.user_identifiers) && r.user_identifiers.length > 5) err('user_data_error', 'TOO_MANY_USER_IDENTIFIERS', 'at most 5 user identifiers');
    const order = typeof r.order_id === 'string' && r.order_id !== '' ? `${r.conversion_action}|${r.order_id}` : null;
    if (!order) err('field_error', 'REQUIRED', 'order_id is required by this fake (Closeloop always sends its de-duplication key)');
    else if (inRequest.has(order)) err('conversion_upload_error', 'DUPLICATE_ORDER_ID', 'Imported events include multiple conversions with the same order ID');
    else if (seenOrders.has(order))
      err('conversion_upload_error', 'ORDER_ID_ALREADY_IN_USE', 'The imported event includes an order ID that was previously recorded');
    if (order) inRequest.add(order);
  });
  return out;
}

export interface GoogleAdsFakeOptions {
  /** OAuth client the token endpoint accepts; the gRPC side then requires one of its tokens. */
  oauth: OAuthClient;
}

export async function startGoogleAdsFake(options: GoogleAdsFakeOptions) {
  const { Req, Res, AdjReq, AdjRes } = types();
  const token = createTokenEndpoint({ scope: 'https://www.googleapis.com/auth/adwords', ...options.oauth });
  const http = await startFakeServer((req) => token.handle(req));
  const calls: RecordedCall[] = [];
  const accepted: AcceptedConversion[] = [];
  const seenOrders = new Set<string>();
  const script: FakeStep[] = [];

  const server = new grpc.Server();
  const adjustments = createAdjustmentLedger(accepted);
  type Answer = { response: any } | { error: { status: grpc.status; errors: FakeAdsError[] } };
  /** One unary method: OAuth check, the script, the request-level checks both methods share, then `body`. */
  const serve = (
    method: string,
    path: string,
    req: protobuf.Type,
    res: protobuf.Type,
    rowsField: string,
    body: (r: any, metadata: Record<string, string>, scripted: FakeAdsError[]) => Answer,
  ) => {
    const definition = {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o: any) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), { longs: String, enums: String, defaults: false }),
      responseSerialize: (o: any) => Buffer.from(res.encode(res.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => res.toObject(res.decode(b)),
    };
    server.addService({ [method]: definition } as grpc.ServiceDefinition, {
      [method]: async (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
        const metadata: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
        const rec: RecordedCall = { method, request: call.request, metadata, answer: 'ok' };
        calls.push(rec);
        const fail = (status: grpc.status, errors: FakeAdsError[], message = errors[0]?.message ?? grpc.status[status]) => {
          rec.answer = grpc.status[status];
          const md = new grpc.Metadata();
          md.set('request-id', `fake-req-${calls.length}`);
          if (errors.length > 0) md.set(FAILURE_TRAILER, encodeFailure(errors, rowsField));
          callback({ code: status, details: message, metadata: md });
        };
        const bearer = /^Bearer (.+)$/.exec(metadata.authorization ?? '')?.[1];
        if (!bearer || !token.issued.includes(bearer)) {
          return fail(grpc.status.UNAUTHENTICATED, [
            { type: 'authentication_error', code: 'OAUTH_TOKEN_INVALID', message: 'OAuth token in the header is not valid.' },
          ]);
        }
        const step = script.shift();
        if (step && 'delayMs' in step) await new Promise((r) => setTimeout(r, step.delayMs));
        if (step && 'rpcError' in step) return fail(step.rpcError.status, step.rpcError.errors ?? [], step.rpcError.message);
        const r = call.request;
        if (!/^\d{10}$/.test(String(r.customer_id ?? ''))) {
          return fail(grpc.status.INVALID_ARGUMENT, [{ type: 'request_error', code: 'INVALID_CUSTOMER_ID', message: 'customer_id must be 10 digits' }]);
        }
        if (r.partial_failure !== true) {
          return fail(grpc.status.INVALID_ARGUMENT, [
            { type: 'partial_failure_error', code: 'PARTIAL_FAILURE_MODE_REQUIRED', message: 'partial_failure must be true' },
          ]);
        }
        const rows: any[] = r[rowsField] ?? [];
        if (rows.length === 0 || rows.length > 2000) {
          const code = rowsField === 'conversions' ? 'TOO_MANY_CONVERSIONS_IN_REQUEST' : 'TOO_MANY_ADJUSTMENTS_IN_REQUEST';
          return fail(grpc.status.INVALID_ARGUMENT, [
            {
              type: `${rowsField === 'conversions' ? 'conversion' : 'conversion_adjustment'}_upload_error`,
              code,
              message: 'Upload fewer than 2001 events in a single request.',
            },
          ]);
        }
        const answer = body(r, metadata, step && 'rowErrors' in step ? step.rowErrors : []);
        if ('error' in answer) return fail(answer.error.status, answer.error.errors);
        const errors = answer.response.__errors as FakeAdsError[];
        delete answer.response.__errors;
        if (errors.length > 0) {
          answer.response.partial_failure_error = {
            code: grpc.status.INVALID_ARGUMENT,
            message: `${errors[0]?.message ?? ''}, at ${rowsField}[${errors[0]?.index ?? 0}]`,
            details: [{ type_url: `type.googleapis.com/${V}.errors.GoogleAdsFailure`, value: encodeFailure(errors, rowsField) }],
          };
        }
        callback(null, answer.response);
      },
    });
  };

  serve('UploadClickConversions', PATH, Req, Res, 'conversions', (req, metadata, scripted) => {
    const rows: any[] = req.conversions;
    const errors = [...rowErrors(rows, seenOrders), ...scripted];
    const failed = new Set(errors.map((e) => e.index));
    const validateOnly = req.validate_only === true;
    const results = rows.map((r, i) => {
      if (failed.has(i)) return {};
      if (!validateOnly) {
        seenOrders.add(`${r.conversion_action}|${r.order_id}`);
        accepted.push({ row: r, customerId: req.customer_id, metadata });
      }
      const id = ['gclid', 'gbraid', 'wbraid'].find((k) => r[k]) as string;
      return { [id]: r[id], conversion_action: r.conversion_action, conversion_date_time: r.conversion_date_time };
    });
    return { response: { ...(validateOnly ? {} : { results }), __errors: errors } };
  });
  serve('UploadConversionAdjustments', ADJUST_PATH, AdjReq, AdjRes, 'conversion_adjustments', (req, _metadata, scripted) => {
    const { results, errors } = adjustments.apply(req.conversion_adjustments, req.validate_only === true, scripted);
    return { response: { ...(req.validate_only === true ? {} : { results }), __errors: errors } };
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    host: '127.0.0.1',
    port,
    tokenUrl: `${http.url}/token`,
    token,
    calls,
    /** Conversions Google would have recorded (not validate_only, no error on the row). */
    accepted,
    /** Adjustments Google applied (retractions, restatements), in order. */
    adjustments: adjustments.applied,
    next(step: FakeStep): void {
      script.push(step);
    },
    async waitForCalls(n: number, timeoutMs = 10_000): Promise<RecordedCall[]> {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < n) {
        if (Date.now() > deadline) throw new Error(`google-ads fake got ${calls.length} calls, expected ${n}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return calls;
    },
    async close(): Promise<void> {
      server.forceShutdown();
      await http.close();
    },
  };
}
export type GoogleAdsFake = Awaited<ReturnType<typeof startGoogleAdsFake>>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

/**
 * Records every outgoing TCP connection of this process and refuses any that is not to a
 * loopback address (the socket errors instead of connecting): a test that calls it proves no
 * byte went to googleapis.com or to the GCE metadata server (169.254.169.254,
 * metadata.google.internal). grpc-js, undici and fetch all connect through net.Socket.
 */
export function guardLoopbackOnly() {
  const seen: string[] = [];
  const blocked: string[] = [];
  const proto = net.Socket.prototype as unknown as { connect: (...args: unknown[]) => net.Socket };
  const original = proto.connect;
  proto.connect = function guarded(this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const opts = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as { host?: unknown; path?: unknown };
    if (typeof opts.path === 'string') return original.apply(this, args); // unix socket: local by definition
    const host = typeof opts.host === 'string' ? opts.host.replace(/^\[|\]$/g, '') : 'localhost';
    seen.push(host);
    if (LOOPBACK.has(host)) return original.apply(this, args);
    blocked.push(host);
    process.nextTick(() => this.destroy(new Error(`test guard: blocked a connection to ${host}`)));
    return this;
  };
  return {
    seen,
    blocked,
    restore(): void {
      proto.connect = original;
    },
  };
}
