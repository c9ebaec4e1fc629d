import { z } from 'zod';
import { ApiError, zodDetails } from '../api-error';
import { PLATFORMS } from '../clicks/click';
import type { SourceConfig } from '../config';
import { assertCleanText } from '../text-guard';
import { compactConsent, consentFlagSchema, consentSignalSchema, type Consent } from './consent';
import { CONVERSION_STATUSES } from './conversion';

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

const postbackSchema = z.object({
  transactionId: text(128).min(1, 'is required and must not be empty'),
  clickId: text(512).optional(),
  payout: text(32)
    .regex(/^\d{1,12}(\.\d{1,8})?$/, 'must be a non-negative decimal with a dot, e.g. 12.50')
    .optional(),
  currency: text(3)
    .transform((c) => c.toUpperCase())
    .refine((c) => CURRENCIES.has(c), 'must be an ISO 4217 currency code, e.g. USD')
    .optional(),
  offerId: text(128).optional(),
  event: text(64).optional(),
  status: text(16)
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(CONVERSION_STATUSES, { error: `must be one of ${CONVERSION_STATUSES.join(', ')}` }))
    .optional(),
  platform: text(16)
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }))
    .optional(),
  extra: z
    .record(z.string().max(64, 'parameter names are at most 64 characters'), text(512))
    .refine((r) => Object.keys(r).length <= MAX_EXTRA_PARAMS, `at most ${MAX_EXTRA_PARAMS} other parameters`),
});
/** Apart from postbackSchema and read only when present: most postbacks carry none, and each preprocess costs on every one. */
const consentParamsSchema = z.object({
  consentAdUserData: consentSignalSchema,
  consentAdPersonalization: consentSignalSchema,
  limitedDataUse: consentFlagSchema,
});
const CONSENT_FIELDS = ['consentAdUserData', 'consentAdPersonalization', 'limitedDataUse'] as const;

export type PostbackInput = z.infer<typeof postbackSchema> & {
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
  const raw: Record<string, unknown> = {};
  for (const f of FIELDS) if (params[nameOf[f]] !== undefined) raw[f] = scalar(params[nameOf[f]]);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (!mapped.has(k)) extra[k] = scalar(v);

  // Seed 001, failure modes 1 and 2: the network sent the macro itself, not its value.
  for (const f of FIELDS) {
    const v = raw[f];
    if (typeof v === 'string' && MACRO_LEFTOVER.test(v)) {
      throw new ApiError(
        422,
        'UNSUBSTITUTED_MACRO',
        `parameter "${nameOf[f]}" is the literal "${v}": the network did not substitute this macro. ` +
          'Macro names are case-sensitive ({Sub5} is not {sub5}); check the postback URL saved in the network.',
        [{ field: nameOf[f], message: 'unsubstituted macro' }],
      );
    }
  }

  const { consentAdUserData, consentAdPersonalization, limitedDataUse, ...fields } = raw;
  const parsed = postbackSchema.safeParse({ ...fields, extra });
  const consentParsed = CONSENT_FIELDS.some((f) => raw[f] !== undefined)
    ? consentParamsSchema.safeParse({ consentAdUserData, consentAdPersonalization, limitedDataUse })
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
