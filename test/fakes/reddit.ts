import { jsonReply as json, type FakeReply, type RecordedRequest } from '../helpers/fake-server';
import { acceptLog, isObj, serveScripted, type Obj, type TransportStep } from './scripted';

/**
 * A fake Reddit Conversions API (v2.0 and v3) on 127.0.0.1:0 that checks requests the way
 * Reddit documents them (ads-api.reddit.com/docs/v3/capi-migration): Bearer token, a non-generic User-Agent (else 429
 * "Your user agent was automatically ratelimited."), the v2 or v3 body shape on the matching
 * path (a v3 body on the v2 path is refused, and vice versa), ≤ 1,000 events, events within 7
 * days, single events only in v3 Event Testing. One invalid event refuses the whole request
 * ("None were processed"), as Reddit does. A script injects documented failures.
 */
export type RedditStep = 'ok' | TransportStep;

export interface RedditFakeOptions {
  accessToken: string;
  pixelId: string;
  maxBatch?: number;
  maxAgeMs?: number;
  now?: () => number;
  script?: RedditStep[];
}

export interface RedditAccepted {
  version: 'v2' | 'v3';
  conversion_id: string;
  click_id: string | undefined;
  tracking_type: string;
  /** v2 value_decimal or v3 value. */
  value: number | undefined;
  currency: string | undefined;
  event_at: number;
  action_source: string | undefined;
  event_source_url: string | undefined;
  email: string | undefined;
  phone_number: string | undefined;
  external_id: string | undefined;
  ip_address: string | undefined;
  user_agent: string | undefined;
  data_processing_options: unknown;
  test: boolean;
}

const V2_TYPES = ['Purchase', 'Lead', 'SignUp', 'PageVisit', 'ViewContent', 'Search', 'AddToCart', 'AddToWishlist', 'Custom'];
const V3_TYPES = ['PURCHASE', 'LEAD', 'SIGN_UP', 'PAGE_VISIT', 'VIEW_CONTENT', 'SEARCH', 'ADD_TO_CART', 'ADD_TO_WISHLIST', 'CUSTOM'];
const NO_VALUE_V3 = ['PAGE_VISIT', 'VIEW_CONTENT', 'SEARCH'];
const ACTION_SOURCES = ['WEBSITE', 'APP', 'OTHER', 'PHYSICAL_STORE'];
/** What Reddit treats as "generic": library defaults, and our HTTP client's default. */
const GENERIC_UA = /^(?:$|node|undici|axios|got|python-requests|curl|go-http-client|java|okhttp|closeloop\/0\.1$)/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export async function startRedditFake(options: RedditFakeOptions) {
  const maxBatch = options.maxBatch ?? 1000;
  const maxAgeMs = options.maxAgeMs ?? 7 * 86_400_000;
  const now = options.now ?? Date.now;
  const log = acceptLog<RedditAccepted>('Reddit fake');
  const { accepted, rejections } = log;

  function respond(req: RecordedRequest): FakeReply {
    const v2 = /^\/api\/v2\.0\/conversions\/events\/([^/]+)$/.exec(req.path);
    const v3 = /^\/api\/v3\/pixels\/([^/]+)\/conversion_events$/.exec(req.path);
    if (req.method !== 'POST' || (!v2 && !v3)) return json(404, { message: 'Not Found' });
    const auth = req.headers.authorization;
    if (!auth) return json(401, { error: 'No bearer token provided' });
    if (auth !== `Bearer ${options.accessToken}`) return json(401, { error: 'UNAUTHORIZED' });
    if (GENERIC_UA.test(req.headers['user-agent'] ?? ''))
      return json(429, { message: 'Your user agent was automatically ratelimited.' }, { 'retry-after': '60' });
    const id = decodeURIComponent(((v2 ?? v3) as RegExpExecArray)[1] as string);
    if (id !== options.pixelId) return json(403, { message: `Not authorized to access pixel ${id}` });

    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return json(400, { message: 'Bad Request' });
    }
    const version = v3 ? 'v3' : 'v2';
    const container = version === 'v3' ? (isObj(body) ? body.data : undefined) : body;
    if (!isObj(body) || !isObj(container) || (version === 'v2' && 'data' in body)) {
      rejections.push(`${version}: body shape`);
      return json(400, { message: 'Bad Request' });
    }
    const events = container.events;
    if (!Array.isArray(events) || events.length === 0) return json(400, { message: 'Bad Request' });
    if (events.length > maxBatch) return json(400, { message: 'Bad Request' });
    const test = version === 'v3' ? typeof container.test_id === 'string' : container.test_mode === true;
    if (version === 'v3' && test && events.length > 1) return json(400, { message: 'Event Testing accepts single events only.' });
    if (version === 'v2' && container.test_mode !== undefined && typeof container.test_mode !== 'boolean') return json(400, { message: 'Bad Request' });

    const problems = events.flatMap((e: unknown, i) => (version === 'v3' ? checkV3(e, i) : checkV2(e, i)));
    if (problems.length > 0) {
      rejections.push(...problems);
      const bad = new Set(problems.map((p) => p.split(']')[0])).size;
      return json(400, { message: `There were ${bad} invalid conversion events. None were processed.` });
    }
    for (const e of events as Obj[]) {
      const meta = (version === 'v3' ? e.metadata : e.event_metadata) as Obj;
      const user = (e.user ?? {}) as Obj;
      accepted.push({
        version,
        conversion_id: meta.conversion_id as string,
        click_id: e.click_id as string | undefined,
        tracking_type: ((version === 'v3' ? e.type : e.event_type) as Obj).tracking_type as string,
        value: (version === 'v3' ? meta.value : meta.value_decimal) as number | undefined,
        currency: meta.currency as string | undefined,
        event_at: version === 'v3' ? (e.event_at as number) : Date.parse(e.event_at as string),
        action_source: e.action_source as string | undefined,
        event_source_url: e.event_source_url as string | undefined,
        email: user.email as string | undefined,
        phone_number: user.phone_number as string | undefined,
        external_id: user.external_id as string | undefined,
        ip_address: user.ip_address as string | undefined,
        user_agent: user.user_agent as string | undefined,
        data_processing_options: user.data_processing_options,
        test,
      });
    }
    return json(200, { data: { message: `Successfully processed ${events.length} conversion events.` } });
  }

  function checkAge(at: string, ms: number, p: string[]): void {
    if (now() - ms > maxAgeMs) p.push(`${at}.event_at is older than 7 days`);
    if (ms - now() > 86_400_000) p.push(`${at}.event_at is in the future`);
  }

  function checkCommon(e: Obj, at: string, meta: unknown, metaName: string, valueName: string, p: string[]): void {
    if (e.click_id !== undefined && typeof e.click_id !== 'string') p.push(`${at}.click_id must be a string`);
    if (e.user !== undefined && !isObj(e.user)) p.push(`${at}.user must be an object`);
    // Reddit takes these hashed or not; this project only ever sends SHA-256 hex (64 lower-case).
    for (const f of ['email', 'phone_number', 'external_id']) {
      const v = isObj(e.user) ? e.user[f] : undefined;
      if (v !== undefined && !(typeof v === 'string' && /^[0-9a-f]{64}$/.test(v))) p.push(`${at}.user.${f} must be SHA-256 hex`);
    }
    // user.data_processing_options {modes: ["LDU"], country?, region?} (ads-api.reddit.com/docs/v3/capi-migration).
    const dpo = isObj(e.user) ? e.user.data_processing_options : undefined;
    if (dpo !== undefined) {
      if (!isObj(dpo) || !Array.isArray(dpo.modes) || dpo.modes.some((m) => m !== 'LDU')) p.push(`${at}.user.data_processing_options.modes must be ["LDU"]`);
      else {
        if (dpo.country !== undefined && !/^[A-Z]{2}$/.test(String(dpo.country))) p.push(`${at}.user.data_processing_options.country must be ISO 3166-1`);
        if (dpo.region !== undefined && !/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(String(dpo.region)))
          p.push(`${at}.user.data_processing_options.region must be ISO 3166-2`);
      }
    }
    if (isObj(e.user) && 'opt_out' in e.user) p.push(`${at}.user.opt_out is replaced by data_processing_options`);
    if (!isObj(meta)) return void p.push(`${at}.${metaName} is required`);
    if (typeof meta.conversion_id !== 'string' || !meta.conversion_id) p.push(`${at}.${metaName}.conversion_id is required for de-duplication`);
    if (meta[valueName] !== undefined && (typeof meta[valueName] !== 'number' || !Number.isFinite(meta[valueName])))
      p.push(`${at}.${metaName}.${valueName} must be a number`);
    if (meta.currency !== undefined && !/^[A-Z]{3}$/.test(String(meta.currency))) p.push(`${at}.${metaName}.currency must be ISO 4217`);
    if (meta[valueName] !== undefined && meta.currency === undefined) p.push(`${at}.${metaName}.currency is required with a value`);
  }

  function checkType(t: unknown, allowed: string[], at: string, p: string[]): void {
    if (!isObj(t) || !allowed.includes(t.tracking_type as string)) return void p.push(`${at}.tracking_type must be one of ${allowed.join(', ')}`);
    if (/^custom$/i.test(t.tracking_type as string) && typeof t.custom_event_name !== 'string') p.push(`${at}.custom_event_name is required for custom events`);
  }

  function checkV2(e: unknown, i: number): string[] {
    const at = `events[${i}]`;
    const p: string[] = [];
    if (!isObj(e)) return [`${at}] must be an object`];
    if (typeof e.event_at !== 'string' || !RFC3339.test(e.event_at)) p.push(`${at}].event_at must be an RFC 3339 string`);
    else checkAge(`${at}]`, Date.parse(e.event_at), p);
    checkType(e.event_type, V2_TYPES, `${at}].event_type`, p);
    checkCommon(e, `${at}]`, e.event_metadata, 'event_metadata', 'value_decimal', p);
    if ('metadata' in e || 'type' in e || 'action_source' in e) p.push(`${at}] has v3 fields on the v2 endpoint`);
    return p;
  }

  function checkV3(e: unknown, i: number): string[] {
    const at = `events[${i}]`;
    const p: string[] = [];
    if (!isObj(e)) return [`${at}] must be an object`];
    if (typeof e.event_at !== 'number' || !Number.isInteger(e.event_at) || e.event_at < 1e12) p.push(`${at}].event_at must be epoch milliseconds`);
    else checkAge(`${at}]`, e.event_at, p);
    if (!ACTION_SOURCES.includes(e.action_source as string)) p.push(`${at}].action_source is required (${ACTION_SOURCES.join(', ')})`);
    if (e.event_source_url !== undefined && !/^https?:\/\//.test(String(e.event_source_url))) p.push(`${at}].event_source_url must be a URL`);
    checkType(e.type, V3_TYPES, `${at}].type`, p);
    checkCommon(e, `${at}]`, e.metadata, 'metadata', 'value', p);
    // Value and currency belong to revenue-bearing types only (ads-api.reddit.com/docs/v3/, event metadata).
    const tt = isObj(e.type) ? String(e.type.tracking_type) : '';
    if (NO_VALUE_V3.includes(tt) && isObj(e.metadata) && ('value' in e.metadata || 'currency' in e.metadata))
      p.push(`${at}].metadata.value/currency are not taken on ${tt}`);
    if ('event_metadata' in e || 'event_type' in e) p.push(`${at}] has v2 fields on the v3 endpoint`);
    return p;
  }

  // Reddit's edge answers JSON even for errors it returns before the API.
  return serveScripted<TransportStep, RedditAccepted>(log, { script: options.script, contentType: 'application/json', respond });
}
export type RedditFake = Awaited<ReturnType<typeof startRedditFake>>;
