import { jsonReply, type FakeReply, type RecordedRequest } from '../helpers/fake-server';
import { acceptLog, isObj, serveScripted, type Obj, type Step, type TransportStep } from './scripted';

/**
 * A fake TikTok Events API 2.0 on 127.0.0.1:0 that checks requests the way TikTok does
 * (as Segment's integration sends them,
 * https://github.com/segmentio/action-destinations/tree/main/packages/destination-actions/src/destinations/tiktok-conversions):
 * exact path with its trailing slash, the Access-Token header, the pixel
 * code, batch size, event_time in unix seconds and not too old, 64-hex where a hash is
 * required. Like TikTok it answers HTTP 200 with `code != 0` for errors. A script of replies
 * (one step per request, then normal service) injects documented failures.
 */
export type TiktokStep =
  | 'ok'
  /** HTTP 200 with this TikTok code (40100, 40105, 50000…). */
  | { code: number; message?: string; data?: unknown }
  /** 20001: these event_ids fail, the rest are accepted. */
  | { partial: string[] }
  /** A transport-level answer: the request never reached TikTok's API logic. */
  | TransportStep;

type Scripted = Exclude<TiktokStep, 'ok'>;

export interface TiktokFakeOptions {
  accessToken: string;
  pixelCode: string;
  /** Events per request the fake accepts (RudderStack sends up to 1,000 to /event/track/). */
  maxBatch?: number;
  /** Oldest event_time accepted (28 days, docs.amperity.com/operator/events_tiktok_ads.html). */
  maxAgeMs?: number;
  now?: () => number;
  script?: TiktokStep[];
  /** Added to every answer, as a real platform's round trip would be (benchmarks). */
  latencyMs?: number;
}

export interface TiktokAccepted {
  event: string;
  event_id: string;
  event_time: number;
  ttclid: string | undefined;
  ip: string | undefined;
  user_agent: string | undefined;
  value: number | undefined;
  currency: string | undefined;
  order_id: string | undefined;
  page_url: string | undefined;
  email: string | undefined;
  phone: string | undefined;
  external_id: string | undefined;
  test_event_code: string | undefined;
  limited_data_use: boolean | undefined;
}

export const TIKTOK_FAKE_PATH = '/open_api/v1.3/event/track/';
const HEX64 = /^[0-9a-f]{64}$/;

export async function startTiktokFake(options: TiktokFakeOptions) {
  const maxBatch = options.maxBatch ?? 1000;
  const maxAgeMs = options.maxAgeMs ?? 28 * 86_400_000;
  const now = options.now ?? Date.now;
  const log = acceptLog<TiktokAccepted>('TikTok fake');
  const { accepted, rejections } = log;
  let seq = 0;

  const answer = (code: number, message: string, data: unknown = {}): FakeReply => jsonReply(200, { code, message, request_id: `fake-${++seq}`, data });

  function respond(req: RecordedRequest, step: Step<Scripted>): FakeReply {
    if (step !== 'ok' && 'code' in step) return answer(step.code, step.message ?? `scripted ${step.code}`, step.data ?? {});
    // Outside the API logic: wrong path or method is an HTTP error, not a code.
    if (req.method !== 'POST' || req.path !== TIKTOK_FAKE_PATH) return { status: 404, body: '404 page not found' };
    const token = req.headers['access-token'];
    if (!token) return answer(40104, 'Access token is empty');
    if (token !== options.accessToken) return answer(40105, 'Access token is incorrect or has been revoked.');

    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return answer(40002, 'Request body is not valid JSON');
    }
    const problems = check(body);
    if (problems.length > 0) {
      rejections.push(...problems);
      return problems[0]?.startsWith('pixel') ? answer(40001, problems[0]) : answer(40002, problems.join('; '));
    }
    const b = body as Obj;
    const failed = new Set(step !== 'ok' && 'partial' in step ? step.partial : []);
    for (const e of b.data as Obj[]) {
      if (failed.has(e.event_id as string)) continue;
      const user = e.user as Obj;
      const props = (e.properties ?? {}) as Obj;
      accepted.push({
        event: e.event as string,
        event_id: e.event_id as string,
        event_time: e.event_time as number,
        ttclid: user.ttclid as string | undefined,
        ip: user.ip as string | undefined,
        user_agent: user.user_agent as string | undefined,
        value: props.value as number | undefined,
        currency: props.currency as string | undefined,
        order_id: props.order_id as string | undefined,
        page_url: (e.page as Obj | undefined)?.url as string | undefined,
        email: user.email as string | undefined,
        phone: user.phone as string | undefined,
        external_id: user.external_id as string | undefined,
        test_event_code: b.test_event_code as string | undefined,
        limited_data_use: e.limited_data_use as boolean | undefined,
      });
    }
    if (failed.size > 0) {
      return answer(20001, 'Partial success', { failed_events: [...failed].map((event_id) => ({ event_id, code: 40002, message: 'invalid event' })) });
    }
    return answer(0, 'OK');
  }

  function check(body: unknown): string[] {
    const p: string[] = [];
    if (!isObj(body)) return ['body must be a JSON object'];
    if (body.event_source_id !== options.pixelCode) p.push(`pixel code ${String(body.event_source_id)}: no permission`);
    if (!['web', 'app', 'offline', 'crm'].includes(body.event_source as string)) p.push('event_source must be web, app, offline or crm');
    if (body.test_event_code !== undefined && typeof body.test_event_code !== 'string') p.push('test_event_code must be a string');
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0) return [...p, 'data must be a non-empty array'];
    if (data.length > maxBatch) p.push(`data has ${data.length} events, at most ${maxBatch} allowed`);
    const t = now();
    data.forEach((e: unknown, i) => {
      const at = `data[${i}]`;
      if (!isObj(e)) return void p.push(`${at} must be an object`);
      if (typeof e.event !== 'string' || !e.event) p.push(`${at}.event is required`);
      if (typeof e.event_id !== 'string' || !e.event_id) p.push(`${at}.event_id is required for de-duplication`);
      const et = e.event_time;
      if (typeof et !== 'number' || !Number.isInteger(et)) p.push(`${at}.event_time must be an integer`);
      else if (et > 1e11) p.push(`${at}.event_time must be unix seconds, not milliseconds`);
      else if (t - et * 1000 > maxAgeMs) p.push(`${at}.event_time is older than allowed`);
      else if (et * 1000 - t > 86_400_000) p.push(`${at}.event_time is in the future`);
      const user = e.user;
      if (!isObj(user)) p.push(`${at}.user is required`);
      else {
        for (const f of ['email', 'phone', 'external_id']) {
          if (user[f] !== undefined && !(typeof user[f] === 'string' && HEX64.test(user[f] as string))) p.push(`${at}.user.${f} must be SHA-256 hex`);
        }
        for (const f of ['ttclid', 'ttp', 'ip', 'user_agent'])
          if (user[f] !== undefined && typeof user[f] !== 'string') p.push(`${at}.user.${f} must be a string`);
      }
      const props = e.properties;
      if (props !== undefined) {
        if (!isObj(props)) p.push(`${at}.properties must be an object`);
        else {
          if (props.value !== undefined && (typeof props.value !== 'number' || props.value < 0)) p.push(`${at}.properties.value must be a non-negative number`);
          if (props.currency !== undefined && !/^[A-Z]{3}$/.test(String(props.currency))) p.push(`${at}.properties.currency must be ISO 4217`);
        }
      }
      // Events API 2.0: `limited_data_use` is a boolean on the event (business-api.tiktok.com/portal/docs?id=1771101027431425).
      if (e.limited_data_use !== undefined && typeof e.limited_data_use !== 'boolean') p.push(`${at}.limited_data_use must be a boolean`);
      if (isObj(user) && 'limited_data_use' in user) p.push(`${at}.user.limited_data_use: limited_data_use belongs on the event, not in user`);
      if (e.page !== undefined && !(isObj(e.page) && typeof e.page.url === 'string' && /^https?:\/\//.test(e.page.url)))
        p.push(`${at}.page.url must be an http(s) URL`);
    });
    return p;
  }

  return serveScripted<Scripted, TiktokAccepted>(log, { script: options.script, contentType: 'text/plain', latencyMs: options.latencyMs, respond });
}
export type TiktokFake = Awaited<ReturnType<typeof startTiktokFake>>;
