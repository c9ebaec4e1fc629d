import { hash, timingSafeEqual } from 'node:crypto';
import type { BlockList } from 'node:net';
import { ApiError } from '../api-error';
import type { ClickRecord, Platform, PlatformClickParam } from '../clicks/click';
import { CLICK_ID_PATTERN } from '../clicks/click';
import { buildFbc } from '../clicks/capture';
import type { ClickStore } from '../clicks/click-store';
import type { Config, SourceConfig } from '../config';
import { ipList, ipMatches } from '../http/client-ip';
import { newId } from '../ids';
import type { Logger } from '../logger';
import type { Ledger, PostbackResult } from '../store/ledger';
import { personalNameIndex } from '../privacy/identifiers';
import { redactPersonal, splitPersonal } from '../privacy/personal-params';
import { assertCleanText, printable } from '../text-guard';
import { createAuthFailures } from './auth-failures';
import { mergeConsent } from './consent';
import { BASE_EVENT, type ConversionRecord } from './conversion';
import { parsePostback, type PostbackInput } from './postback-input';
import { route } from './routing';
import { newWarnings, repeatWarnings } from './warnings';
import { planAdjustments, type SupportOf } from '../delivery/adjustments';
import { ADJUSTMENT_TYPES } from '../connector-kit/adjustment';

type PersonalIndex = ReturnType<typeof personalNameIndex>;

export interface IntakeDeps {
  config: Config;
  ledger: Ledger;
  clicks: ClickStore;
  now: () => number;
  /** Called after a commit that created deliveries, so workers start at once instead of at the next poll. */
  onDeliveries?: () => void;
  /** Refused keys are logged here, rate-limited (auth-failures.ts). */
  logger?: Logger;
  /** Which destinations correct a reversed conversion (src/delivery/adjustments.ts); absent: none do. */
  adjustments?: SupportOf;
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
const digest = (s: string): Buffer => hash('sha256', s, 'buffer');
const EMPTY_DIGEST = digest('');

export function createIntake(deps: IntakeDeps) {
  const { config, ledger, clicks, now } = deps;
  const support: SupportOf = deps.adjustments ?? (() => 'unsupported');
  // Without a destination that corrects, a repeat costs no extra read (adjustment-sql.ts).
  const corrects = config.destinations.some((d) => ADJUSTMENT_TYPES.some((t) => support(d.id, t) === 'enabled'));
  const authFailures = createAuthFailures(deps.logger, now);
  const personalIndex = new Map(config.sources.map((s) => [s.id, personalNameIndex({ names: s.personalFields, exclude: Object.values(s.params) })]));
  const allowLists = new Map<string, BlockList>();
  const secretDigests = new Map(config.sources.map((s) => [s.id, digest(s.secret)]));
  for (const s of config.sources) if (s.allowIps.length > 0) allowLists.set(s.id, ipList(s.allowIps));

  /**
   * Finds the source whose secret matches; every source is compared, so timing leaks nothing.
   * An unknown /postback/:source, a missing key and a wrong key all answer the same 401, so
   * source ids cannot be enumerated; the reason goes to the (rate-limited) log instead.
   */
  function findSource(req: IntakeRequest): SourceConfig {
    const candidates = req.sourceId !== undefined ? config.sources.filter((s) => s.id === req.sourceId) : config.sources;
    let found: SourceConfig | undefined;
    // The given key is hashed once, not once per source: sources nearly always read it from the
    // same parameter. Every source's digest is still compared, in constant time.
    let given: string | undefined;
    let givenDigest = EMPTY_DIGEST;
    for (const s of candidates) {
      const key = req.params[s.params.key];
      if (typeof key !== 'string') continue;
      if (key !== given) {
        given = key;
        givenDigest = digest(key);
      }
      if (timingSafeEqual(givenDigest, secretDigests.get(s.id) as Buffer) && !found) found = s;
    }
    if (!found) {
      const reason = candidates.length === 0 ? 'unknown_source' : candidates.some((s) => req.params[s.params.key] !== undefined) ? 'wrong_key' : 'missing_key';
      authFailures.record(reason, req.sourceId);
      throw new ApiError(401, 'UNAUTHORIZED', 'the key parameter is missing or does not match');
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
        id: newId(),
        link: null,
        platform,
        platformClickParam: param,
        platformClickId: clickId,
        platformClickIds: { [param]: clickId },
        ip: null,
        userAgent: null,
        referrer: null,
        landingUrl: null,
        subs: {},
        fbp: null,
        fbc: platform === 'meta' ? buildFbc(clickId, undefined, at) : null,
        createdAt: at,
      };
    }
    if (!CLICK_ID_PATTERN.test(clickId)) return null;
    return (await clicks.get(clickId)) ?? null;
  }

  async function receive(req: IntakeRequest): Promise<IntakeResult> {
    const source = findSource(req);
    const at = now();
    // Personal fields come out first: from here on only their hashes exist (src/privacy).
    const personal = splitPersonal(req.params, personalIndex.get(source.id) as PersonalIndex, { phoneCountryCode: source.phoneCountryCode });
    const refuse = async (err: unknown) => {
      // The source is known (its secret matched): record the refusal, it explains a silent network.
      if (err instanceof ApiError) await recordRejection(source, err, req.params, at);
      return err;
    };
    let input: PostbackInput;
    try {
      checkIp(source, req.ip);
      assertCleanText(req.params);
      // personal.params is a subset of req.params, checked on the line above.
      input = parsePostback(personal.params, source, { textChecked: true });
    } catch (err) {
      throw await refuse(err);
    }
    const click = await matchClick(input, source, at);
    const known = [...personal.warnings, ...input.warnings];
    if (input.clickId && !click) known.push(`click id "${input.clickId}" matched no stored click (expired, mistyped, or not ours)`);
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
      identifiers: personal.identifiers,
      consent: mergeConsent(input.consent, click?.consent),
      warnings: newWarnings([], known),
      receivedAt: at,
      updatedAt: at,
    };
    const result = await ledger.recordPostback(
      // The warnings known before the write are kept on the conversion (the console shows them).
      {
        conversion,
        route: (c) => route(c, source, config.destinations, config.delivery.maxAttempts),
        ...(corrects ? { adjust: (stored, incoming, deliveries) => planAdjustments(stored, incoming, deliveries, support, at) } : {}),
      },
      at,
    );
    if (result.deliveries.some((d) => d.status === 'pending')) deps.onDeliveries?.();
    const warnings = [...repeatWarnings(conversion, result, support), ...known];
    if (result.duplicate || result.updated) {
      // A repeat: what it brought is kept on the stored conversion, so the console shows it.
      const added = newWarnings(result.conversion.warnings, warnings);
      if (added.length > 0) {
        await ledger.addConversionWarnings(result.conversion.id, added);
        result.conversion.warnings = [...(result.conversion.warnings ?? []), ...added];
      }
    }
    return { ...result, warnings };
  }

  /** Refused postbacks are logged for the operator: without the secret, personal values redacted, control characters escaped. */
  async function recordRejection(source: SourceConfig, err: ApiError, params: Record<string, unknown>, at: number) {
    const kept: Record<string, string> = {};
    const shown = redactPersonal(params, personalIndex.get(source.id) as PersonalIndex);
    for (const [k, v] of Object.entries(shown).slice(0, 50)) {
      if (k === source.params.key) continue;
      kept[printable(k, 64)] = printable(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''), 256);
    }
    await ledger.recordRejection({
      id: newId(),
      source: source.id,
      receivedAt: at,
      httpStatus: err.status,
      code: err.code,
      message: err.message,
      params: kept,
    });
  }

  return { receive, authFailures: authFailures.counts };
}
export type Intake = ReturnType<typeof createIntake>;
