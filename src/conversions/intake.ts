import { timingSafeEqual, createHash } from 'node:crypto';
import type { BlockList } from 'node:net';
import { ApiError } from '../api-error';
import type { ClickRecord, Platform, PlatformClickParam } from '../clicks/click';
import { CLICK_ID_PATTERN } from '../clicks/click';
import { buildFbc } from '../clicks/capture';
import type { ClickStore } from '../clicks/click-store';
import type { Config, SourceConfig } from '../config';
import { ipList, ipMatches } from '../http/client-ip';
import { newId } from '../ids';
import type { Ledger, PostbackResult } from '../store/ledger';
import { BASE_EVENT, type ConversionRecord } from './conversion';
import { parsePostback, type PostbackInput } from './postback-input';
import { route } from './routing';

export interface IntakeDeps {
  config: Config;
  ledger: Ledger;
  clicks: ClickStore;
  now: () => number;
  /** Called after a commit that created deliveries, so workers start at once instead of at the next poll. */
  onDeliveries?: () => void;
}

export interface IntakeRequest {
  /** Query and body parameters merged; the body wins. */
  params: Record<string, unknown>;
  ip: string | null;
  /** From /postback/:source. */
  sourceId?: string | undefined;
}

export type IntakeResult = PostbackResult & { warnings: string[] };

const DIRECT_PARAM: Record<Platform, PlatformClickParam> = { google: 'gclid', meta: 'fbclid', tiktok: 'ttclid', reddit: 'rdt_cid' };

/** Hash both sides to a fixed length, so the comparison's time says nothing about the secret. */
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
function sameSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

export function createIntake(deps: IntakeDeps) {
  const { config, ledger, clicks, now } = deps;
  const allowLists = new Map<string, BlockList>();
  const secretDigests = new Map(config.sources.map((s) => [s.id, digest(s.secret)]));
  for (const s of config.sources) if (s.allowIps.length > 0) allowLists.set(s.id, ipList(s.allowIps));

  /** Finds the source whose secret matches; every source is compared, so timing leaks nothing. */
  function findSource(req: IntakeRequest): SourceConfig {
    const candidates = req.sourceId ? config.sources.filter((s) => s.id === req.sourceId) : config.sources;
    if (req.sourceId && candidates.length === 0) throw new ApiError(404, 'UNKNOWN_SOURCE', `no source "${req.sourceId}" is configured`);
    let found: SourceConfig | undefined;
    for (const s of candidates) {
      const key = req.params[s.params.key];
      if (typeof key === 'string' && sameSecret(key, secretDigests.get(s.id) as Buffer) && !found) found = s;
    }
    if (!found) {
      const anyKey = candidates.some((s) => req.params[s.params.key] !== undefined);
      throw new ApiError(401, 'UNAUTHORIZED', anyKey ? 'the key parameter does not match any source' : 'the key parameter is missing');
    }
    return found;
  }

  function checkIp(source: SourceConfig, ip: string | null): void {
    const allow = allowLists.get(source.id);
    if (allow && !(ip && ipMatches(allow, ip))) {
      throw new ApiError(403, 'IP_NOT_ALLOWED', `postbacks for source "${source.id}" are not accepted from ${ip ?? 'an unknown address'}`);
    }
  }

  async function matchClick(input: PostbackInput, source: SourceConfig, at: number): Promise<ClickRecord | null> {
    const clickId = input.clickId;
    if (!clickId) return null;
    const platform = input.platform ?? (source.mode === 'direct' ? source.platform : undefined);
    if (platform) {
      // Direct: the click id IS the platform's click id (gclid/fbclid/… put straight into sub5).
      const param = DIRECT_PARAM[platform];
      return {
        id: newId(), link: null, platform, platformClickParam: param, platformClickId: clickId,
        platformClickIds: { [param]: clickId }, ip: null, userAgent: null, referrer: null, landingUrl: null, subs: {},
        fbp: null, fbc: platform === 'meta' ? buildFbc(clickId, undefined, at) : null, createdAt: at,
      };
    }
    if (!CLICK_ID_PATTERN.test(clickId)) return null;
    return (await clicks.get(clickId)) ?? null;
  }

  async function receive(req: IntakeRequest): Promise<IntakeResult> {
    const source = findSource(req);
    const at = now();
    try {
      checkIp(source, req.ip);
    } catch (err) {
      // The source is known (its secret matched): record the refusal, it explains a silent network.
      if (err instanceof ApiError) await recordRejection(source.id, err, req.params, source.params.key, at);
      throw err;
    }
    let input: PostbackInput;
    try {
      input = parsePostback(req.params, source);
    } catch (err) {
      if (err instanceof ApiError) await recordRejection(source.id, err, req.params, source.params.key, at);
      throw err;
    }
    const click = await matchClick(input, source, at);
    const conversion: ConversionRecord = {
      id: newId(),
      source: source.id,
      transactionId: input.transactionId,
      event: input.event || BASE_EVENT,
      status: input.status ?? 'approved',
      payout: input.payout ?? null,
      currency: input.currency ?? source.defaultCurrency,
      offerId: input.offerId || null,
      clickId: input.clickId || null,
      matched: click !== null,
      click,
      params: input.extra,
      receivedAt: at,
      updatedAt: at,
    };
    const unmatched = input.clickId && !click ? [`click id "${input.clickId}" matched no stored click (expired, mistyped, or not ours)`] : [];
    const result = await ledger.recordPostback(
      // The warnings known before the write are kept on the conversion (the console shows them).
      { conversion, route: (c) => route(c, source, config.destinations, config.delivery.maxAttempts), warnings: [...input.warnings, ...unmatched] },
      at,
    );
    if (result.deliveries.some((d) => d.status === 'pending')) deps.onDeliveries?.();
    const warnings = [...input.warnings];
    if (result.duplicate && result.conversion.status !== conversion.status) {
      warnings.push(`status "${conversion.status}" ignored: the conversion is already ${result.conversion.status}`);
    }
    warnings.push(...unmatched);
    return { ...result, warnings };
  }

  async function recordRejection(sourceId: string, err: ApiError, params: Record<string, unknown>, keyParam: string, at: number) {
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(params).slice(0, 50)) {
      if (k === keyParam) continue;
      kept[k.slice(0, 64)] = (typeof v === 'string' ? v : JSON.stringify(v) ?? '').slice(0, 256);
    }
    await ledger.recordRejection({ id: newId(), source: sourceId, receivedAt: at, httpStatus: err.status, code: err.code, message: err.message, params: kept });
  }

  return { receive };
}
export type Intake = ReturnType<typeof createIntake>;
