import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import { type Platform, PLATFORMS } from '../clicks/click';
import type { SourceConfig } from '../config';
import { shapeOf } from '../schema-shape';
import { assertCleanText } from '../text-guard';
import { compactConsent, consentFlagSchema, consentSignalSchema, type Consent } from './consent';
import { CONVERSION_STATUSES, type ConversionStatus } from './conversion';

/** ISO 4217 codes as the runtime's ICU knows them (no hand-kept list to go stale). */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const MAX_EXTRA_PARAMS = 40;

/** `{sub5}`, `{Sub5}`, `{transaction_id}` — or the same still percent-encoded. */
const MACRO_LEFTOVER = /(\{|%7b)[A-Za-z0-9_.\- ]{1,64}(\}|%7d)/i;

/**
 * No control-character check here: parsePostback's assertCleanText (or its caller's, with
 * `textChecked`) has already refused every name and value holding one (422 INVALID_CHARACTERS, before this schema runs), so a regex per
 * field would only repeat it on every postback.
 */
const text = (max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'is required' : Array.isArray(i.input) ? 'given more than once' : 'must be a string') })
    .max(max, `longer than ${max} characters`);

/** The schema's bounds, shared with its fast path (readPostbackFields): one number each, not two. */
const MAX = {
  transactionId: 128,
  clickId: 512,
  payout: 32,
  currency: 3,
  offerId: 128,
  event: 64,
  status: 16,
  platform: 16,
  extraName: 64,
  extraValue: 512,
} as const;
const PAYOUT = /^\d{1,12}(\.\d{1,8})?$/;

export const postbackSchema = z.object({
  transactionId: text(MAX.transactionId).min(1, 'is required and must not be empty'),
  clickId: text(MAX.clickId).optional(),
  payout: text(MAX.payout).regex(PAYOUT, 'must be a non-negative decimal with a dot, e.g. 12.50').optional(),
  currency: text(MAX.currency)
    .transform((c) => c.toUpperCase())
    .refine((c) => CURRENCIES.has(c), 'must be an ISO 4217 currency code, e.g. USD')
    .optional(),
  offerId: text(MAX.offerId).optional(),
  event: text(MAX.event).optional(),
  status: text(MAX.status)
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(CONVERSION_STATUSES, { error: `must be one of ${CONVERSION_STATUSES.join(', ')}` }))
    .optional(),
  platform: text(MAX.platform)
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }))
    .optional(),
  extra: z
    .record(z.string().max(MAX.extraName, `parameter names are at most ${MAX.extraName} characters`), text(MAX.extraValue))
    .refine((r) => Object.keys(r).length <= MAX_EXTRA_PARAMS, `at most ${MAX_EXTRA_PARAMS} other parameters`),
});
type PostbackFields = z.infer<typeof postbackSchema>;

/**
 * What readPostbackFields checks by hand, as shapeOf prints it. A schema that gains or loses a
 * field, a check or a transform no longer matches (the bounds and enums are shared with the fast
 * path), and the module refuses to load rather than let the fast path accept what zod would
 * refuse: update readPostbackFields, then this.
 */
const FAST_PATH_SHAPE =
  `{transactionId:string[max_length${MAX.transactionId},min_length1],clickId:string[max_length${MAX.clickId}]?,` +
  `payout:string[max_length${MAX.payout},string_format${PAYOUT}]?,currency:string[max_length${MAX.currency}]>transform[custom]?,` +
  `offerId:string[max_length${MAX.offerId}]?,event:string[max_length${MAX.event}]?,` +
  `status:string[max_length${MAX.status}]>transform>enum(${CONVERSION_STATUSES.join('|')})?,` +
  `platform:string[max_length${MAX.platform}]>transform>enum(${PLATFORMS.join('|')})?,` +
  `extra:record(string[max_length${MAX.extraName}],string[max_length${MAX.extraValue}])[custom]}`;
if (shapeOf(postbackSchema) !== FAST_PATH_SHAPE) {
  throw new Error(`postbackSchema changed (${shapeOf(postbackSchema)}): update readPostbackFields and FAST_PATH_SHAPE`);
}
const STATUS_OF = new Map<string, ConversionStatus>(CONVERSION_STATUSES.map((s) => [s, s]));
const PLATFORM_OF = new Map<string, Platform>(PLATFORMS.map((p) => [p, p]));
const same = (s: string) => s;
/**
 * Each field of postbackSchema in its order, with its bound and what its checks and transforms
 * make of a string within the bound (undefined: refused, zod names the problem).
 */
const FIELD_READERS: ReadonlyArray<readonly [Exclude<keyof PostbackFields, 'extra'>, number, (s: string) => string | undefined]> = [
  ['transactionId', MAX.transactionId, (s) => (s.length > 0 ? s : undefined)],
  ['clickId', MAX.clickId, same],
  ['payout', MAX.payout, (s) => (PAYOUT.test(s) ? s : undefined)],
  ['currency', MAX.currency, (s) => (CURRENCIES.has(s.toUpperCase()) ? s.toUpperCase() : undefined)],
  ['offerId', MAX.offerId, same],
  ['event', MAX.event, same],
  ['status', MAX.status, (s) => STATUS_OF.get(s.toLowerCase())],
  ['platform', MAX.platform, (s) => PLATFORM_OF.get(s.toLowerCase())],
];

/**
 * postbackSchema.safeParse without zod when the postback is valid in the common way (nearly every
 * one): the same data, a field absent from the input absent from the output, the values zod's
 * transforms give. Anything else goes to zod, which gives the issues (and the same data when it
 * passes after all). parseClickInput's approach (src/clicks/capture.ts); zod was 3.4 % of an HTTP
 * postback's CPU (bench/README.md "Intake (h-intake, round 4)").
 */
export function readPostbackFields(input: Record<string, unknown> & { extra: Record<string, unknown> }): ReturnType<typeof postbackSchema.safeParse> {
  const data: Record<string, unknown> = {};
  for (const [name, max, read] of FIELD_READERS) {
    const v = input[name];
    if (v === undefined) {
      // zod keeps a field given as undefined; a missing transaction id is zod's to name.
      if (name === 'transactionId') return postbackSchema.safeParse(input);
      if (name in input) data[name] = undefined;
      continue;
    }
    const value = typeof v === 'string' && v.length <= max ? read(v) : undefined;
    if (value === undefined) return postbackSchema.safeParse(input);
    data[name] = value;
  }
  const extra: Record<string, string> = {};
  let count = 0;
  for (const k in input.extra) {
    const v = input.extra[k];
    if (k.length > MAX.extraName || typeof v !== 'string' || v.length > MAX.extraValue || ++count > MAX_EXTRA_PARAMS) return postbackSchema.safeParse(input);
    extra[k] = v;
  }
  data.extra = extra;
  return { success: true, data: data as PostbackFields };
}
/** Apart from postbackSchema and read only when present: most postbacks carry none, and each preprocess costs on every one. */
const consentParamsSchema = z.object({
  consentAdUserData: consentSignalSchema,
  consentAdPersonalization: consentSignalSchema,
  limitedDataUse: consentFlagSchema,
});
const CONSENT_FIELDS = ['consentAdUserData', 'consentAdPersonalization', 'limitedDataUse'] as const;

export type PostbackInput = PostbackFields & {
  /** The consent signals the postback carried (`{}` for none). */
  consent: Consent;
  warnings: string[];
};

const FIELDS = [
  'transactionId',
  'clickId',
  'payout',
  'currency',
  'offerId',
  'event',
  'status',
  'platform',
  'consentAdUserData',
  'consentAdPersonalization',
  'limitedDataUse',
] as const;

/**
 * Reads a postback's parameters with the source's parameter names, then validates them. The
 * error names the parameter as the network sent it (`tx_id`, not `transactionId`).
 * `textChecked`: the caller has run assertCleanText on these parameters or a superset of them
 * (intake.receive does, on every parameter before the personal ones are split off), so the walk
 * is not repeated.
 */
export function parsePostback(params: Record<string, unknown>, source: SourceConfig, options: { textChecked?: boolean } = {}): PostbackInput {
  if (!options.textChecked) assertCleanText(params);
  const names = source.params;
  const { nameOf, mapped } = namesOf(source);
  // The mapped fields (their own object: no rest and spread copies on every postback), the
  // consent signals apart (most postbacks carry none), then the other parameters.
  const fields: Record<string, unknown> & { extra: Record<string, unknown> } = { extra: {} };
  let consentRaw: Partial<Record<(typeof CONSENT_FIELDS)[number], unknown>> | null = null;
  for (const f of FIELDS) {
    const given = params[nameOf[f]];
    if (given === undefined) continue;
    const v = scalar(given);
    // Seed 001, failure modes 1 and 2: the network sent the macro itself, not its value.
    if (typeof v === 'string' && MACRO_LEFTOVER.test(v)) {
      throw new ApiError(
        422,
        'UNSUBSTITUTED_MACRO',
        `parameter "${nameOf[f]}" is the literal "${v}": the network did not substitute this macro. ` +
          'Macro names are case-sensitive ({Sub5} is not {sub5}); check the postback URL saved in the network.',
        [{ field: nameOf[f], message: 'unsubstituted macro' }],
      );
    }
    if (f === 'consentAdUserData' || f === 'consentAdPersonalization' || f === 'limitedDataUse') {
      consentRaw ??= {};
      consentRaw[f] = v;
    } else fields[f] = v;
  }
  for (const k of Object.keys(params)) if (!mapped.has(k)) fields.extra[k] = scalar(params[k]);

  const parsed = readPostbackFields(fields);
  const consentParsed = consentRaw
    ? consentParamsSchema.safeParse({
        consentAdUserData: consentRaw.consentAdUserData,
        consentAdPersonalization: consentRaw.consentAdPersonalization,
        limitedDataUse: consentRaw.limitedDataUse,
      })
    : null;
  if (!parsed.success || consentParsed?.success === false) {
    const issues = [...(parsed.error?.issues ?? []), ...(consentParsed?.error?.issues ?? [])];
    const details = zodDetails(issues).map((d) => {
      const [head, ...rest] = d.field.split('.');
      const field = head === 'extra' ? rest.join('.') : (nameOf[head as keyof NameOf] ?? d.field);
      return { field, message: d.message };
    });
    throw new ApiError(400, 'INVALID_POSTBACK', `invalid postback: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
  }

  const warnings: string[] = [];
  if (parsed.data.clickId === '') {
    warnings.push(`"${names.clickId}" is empty: the click id was never captured into the sub parameter, so the conversion cannot be matched`);
  }
  for (const [k, v] of Object.entries(parsed.data.extra)) {
    if (MACRO_LEFTOVER.test(v)) warnings.push(`parameter "${k}" looks like an unsubstituted macro: "${v}"`);
  }
  const c = consentParsed?.data;
  const consent = c ? compactConsent({ adUserData: c.consentAdUserData, adPersonalization: c.consentAdPersonalization, limitedDataUse: c.limitedDataUse }) : {};
  return { ...parsed.data, consent, warnings };
}

type NameOf = Record<(typeof FIELDS)[number], string>;
/** Each source's parameter names, worked out once per source (not per postback). */
const sourceNames = new WeakMap<SourceConfig, { nameOf: NameOf; mapped: ReadonlySet<string> }>();
function namesOf(source: SourceConfig): { nameOf: NameOf; mapped: ReadonlySet<string> } {
  const known = sourceNames.get(source);
  if (known) return known;
  const names = source.params;
  const nameOf: NameOf = {
    transactionId: names.transactionId,
    clickId: names.clickId,
    payout: names.payout,
    currency: names.currency,
    offerId: names.offerId,
    event: names.event,
    status: names.status,
    platform: names.platform,
    consentAdUserData: names.consentAdUserData,
    consentAdPersonalization: names.consentAdPersonalization,
    limitedDataUse: names.limitedDataUse,
  };
  const entry = { nameOf, mapped: new Set<string>([...Object.values(nameOf), names.key]) };
  sourceNames.set(source, entry);
  return entry;
}

/** A JSON body may carry numbers (`"payout": 12.5`); query strings and forms never do. */
function scalar(v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
}
