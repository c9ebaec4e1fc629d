import { randomBytes } from 'node:crypto';
import { jsonReply as json, startFakeServer, type FakeReply, type RecordedRequest } from '../helpers/fake-server';
import { acceptLog, transportReply, type TransportStep } from './scripted';

/**
 * A fake Meta Graph API on 127.0.0.1:0 for the Conversions API: POST /v24.0/:pixel/events and
 * GET /v24.0/:pixel (the connector's verify). It checks requests the way Meta documents them
 * (developers.facebook.com/docs/marketing-api/conversions-api/parameters and
 * developers.facebook.com/docs/graph-api/guides/error-handling)
 * and answers with Graph's shapes; tests script errors, resets and hangs ahead of time.
 */

export interface GraphErrorSpec {
  code: number;
  subcode?: number;
  type?: string;
  message?: string;
  userTitle?: string;
  userMsg?: string;
  isTransient?: boolean;
  errorData?: unknown;
}

export type MetaScript =
  | { graphError: GraphErrorSpec; status?: number }
  | Exclude<TransportStep, { delayMs: number }>
  /** Validate and record as usual, but report this many events received. */
  | { eventsReceived: number };

export interface AcceptedEvent {
  pixel: string;
  testEventCode: string | null;
  event: Record<string, any>;
}

export interface MetaFakeOptions {
  accessToken: string;
  /** Pixels that exist; any other id answers code 100/33 (unknown object). Default: any. */
  pixels?: string[];
  version?: string;
  now?: () => number;
}

const SEVEN_DAYS_S = 7 * 86_400;
const ACTION_SOURCES = new Set(['email', 'website', 'app', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other']);
const FBC = /^fb\.1\.\d{13}\..+/;
const HEX64 = /^[0-9a-f]{64}$/;

export function graphErrorReply(spec: GraphErrorSpec, status = 400): FakeReply {
  const error = {
    message: spec.message ?? 'Invalid parameter',
    type: spec.type ?? (spec.code === 190 || spec.code === 104 ? 'OAuthException' : 'GraphMethodException'),
    code: spec.code,
    ...(spec.subcode !== undefined ? { error_subcode: spec.subcode } : {}),
    ...(spec.userTitle ? { error_user_title: spec.userTitle } : {}),
    ...(spec.userMsg ? { error_user_msg: spec.userMsg } : {}),
    ...(spec.errorData !== undefined ? { error_data: spec.errorData } : {}),
    is_transient: spec.isTransient ?? false,
    fbtrace_id: `A${randomBytes(8).toString('hex')}`,
  };
  return json(status, { error });
}

const bad = (message: string, userMsg?: string) => graphErrorReply({ code: 100, message, ...(userMsg ? { userMsg } : {}) });

/** The first problem Meta would report for event `i`, or null. */
export function eventProblem(e: any, i: number): string | null {
  const at = `data[${i}]`;
  if (!e || typeof e !== 'object') return `${at} must be an object`;
  if (typeof e.event_name !== 'string' || e.event_name === '') return `${at}[event_name] is required`;
  if (!Number.isInteger(e.event_time)) return `${at}[event_time] must be a unix timestamp in seconds`;
  if (!ACTION_SOURCES.has(e.action_source)) return `${at}[action_source] is required`;
  const u = e.user_data;
  if (!u || typeof u !== 'object') return `${at}[user_data] is required`;
  if (e.action_source === 'website' && (!u.client_user_agent || !e.event_source_url)) {
    return `${at}: website events need user_data.client_user_agent and event_source_url`;
  }
  if (u.fbc !== undefined && !FBC.test(u.fbc)) return `${at}[user_data][fbc] is not fb.1.<ms>.<fbclid>`;
  // Meta requires em/ph/fn/ln hashed; this project also always hashes external_id.
  for (const k of ['em', 'ph', 'fn', 'ln', 'external_id']) {
    const values = u[k] === undefined ? [] : Array.isArray(u[k]) ? u[k] : [u[k]];
    if (values.some((v: unknown) => typeof v !== 'string' || !HEX64.test(v))) return `${at}[user_data][${k}] must be SHA-256 hex`;
  }
  // Limited Data Use (developers.facebook.com/docs/marketing-apis/data-processing-options): an
  // array of options ("LDU" the only one), a country 0 (geolocate) or 1 (US) and a state code,
  // which mean nothing without the option.
  const dpo = e.data_processing_options;
  if (dpo !== undefined && (!Array.isArray(dpo) || dpo.some((o: unknown) => o !== 'LDU'))) return `${at}[data_processing_options] must be [] or ["LDU"]`;
  const country = e.data_processing_options_country;
  const state = e.data_processing_options_state;
  if ((country !== undefined || state !== undefined) && !(Array.isArray(dpo) && dpo.includes('LDU')))
    return `${at}: data_processing_options_country/state need data_processing_options ["LDU"]`;
  if (country !== undefined && country !== 0 && country !== 1) return `${at}[data_processing_options_country] must be 0 or 1`;
  if (state !== undefined && !(Number.isInteger(state) && state >= 0)) return `${at}[data_processing_options_state] must be a state code`;
  const cd = e.custom_data;
  if (cd?.currency !== undefined && !/^[A-Z]{3}$/.test(cd.currency)) return `${at}[custom_data][currency] is not ISO 4217`;
  if (cd?.value !== undefined && typeof cd.value !== 'number') return `${at}[custom_data][value] must be a number`;
  return null;
}

export async function startMetaFake(options: MetaFakeOptions) {
  const version = options.version ?? 'v24.0';
  const now = options.now ?? Date.now;
  const scripted: MetaScript[] = [];
  const log = acceptLog<AcceptedEvent>('meta fake', 20);
  const { accepted } = log;

  const tokenOf = (req: RecordedRequest, body: any): string | undefined => {
    const auth = req.headers.authorization;
    const bearer = typeof auth === 'string' ? /^(?:Bearer|OAuth) (.+)$/.exec(auth)?.[1] : undefined;
    return body?.access_token ?? req.query.get('access_token') ?? bearer;
  };
  const checkToken = (token: string | undefined): FakeReply | null => {
    if (!token) return graphErrorReply({ code: 104, message: 'An access token is required to request this resource.' });
    if (token !== options.accessToken) return graphErrorReply({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    return null;
  };
  const unknownPixel = (pixel: string): FakeReply | null =>
    options.pixels && !options.pixels.includes(pixel)
      ? graphErrorReply({
          code: 100,
          subcode: 33,
          message: `Unsupported post request. Object with ID '${pixel}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        })
      : null;

  function handle(req: RecordedRequest): FakeReply {
    const m = /^\/(v\d+\.\d+)\/(\d+)(\/events)?$/.exec(req.path);
    if (!m || m[1] !== version) return graphErrorReply({ code: 2500, message: 'Unknown path components' });
    const pixel = m[2] as string;
    if (req.method === 'GET' && !m[3]) return checkToken(tokenOf(req, null)) ?? unknownPixel(pixel) ?? json(200, { id: pixel, name: 'Fake pixel' });
    if (req.method !== 'POST' || !m[3]) return graphErrorReply({ code: 100, message: 'Unsupported request method' });

    const next = scripted.shift();
    if (next && 'graphError' in next) return graphErrorReply(next.graphError, next.status ?? 400);
    // Meta's edge answers HTML when the request never reaches Graph.
    const transport = transportReply(next, 'text/html');
    if (transport) return transport;

    let body: any;
    try {
      body = JSON.parse(req.body);
    } catch {
      return bad('(#100) The request body must be JSON');
    }
    const tokenError = checkToken(tokenOf(req, body)) ?? unknownPixel(pixel);
    if (tokenError) return tokenError;
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0) return bad('(#100) param data must be a non-empty array');
    if (data.length > 1000) return bad('(#100) data may contain at most 1000 events');
    // One event older than 7 days rejects the whole request (server-event docs, event_time).
    const nowS = Math.floor(now() / 1000);
    if (data.some((e: any) => Number.isInteger(e?.event_time) && nowS - e.event_time > SEVEN_DAYS_S)) {
      return graphErrorReply({
        code: 100,
        subcode: 2804003,
        userTitle: 'Event Timestamp Too Old',
        userMsg: 'The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred.',
      });
    }
    for (let i = 0; i < data.length; i++) {
      const problem = eventProblem(data[i], i);
      if (problem) return bad('Invalid parameter', problem);
    }
    const testEventCode = typeof body.test_event_code === 'string' ? body.test_event_code : null;
    for (const event of data) accepted.push({ pixel, testEventCode, event });
    const received = next && 'eventsReceived' in next ? next.eventsReceived : data.length;
    return json(200, { events_received: received, messages: [], fbtrace_id: `A${randomBytes(8).toString('hex')}` });
  }

  const server = await startFakeServer((req) => handle(req));
  return {
    url: server.url,
    requests: server.requests,
    accepted,
    /** Queue answers for the next POST /events requests, in order. */
    script(...replies: MetaScript[]) {
      scripted.push(...replies);
    },
    waitFor: server.waitFor,
    waitForEvents: log.waitForAccepted,
    close: server.close,
  };
}
export type MetaFake = Awaited<ReturnType<typeof startMetaFake>>;
