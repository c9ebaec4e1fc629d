import { z } from 'zod';

/**
 * What the doctor answers (CONTRACT.md, POST /v1/doctor). Messages and fixes are written for a
 * media buyer, not a developer: what is wrong, what happens because of it, what to type instead.
 */
export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const positionSchema = z.object({ start: z.number().int().min(0), end: z.number().int().min(0) }).nullable();
export type Position = z.infer<typeof positionSchema>;

export const findingSchema = z.object({
  severity: z.enum(SEVERITIES),
  code: z.string(),
  message: z.string(),
  fix: z.string(),
  position: positionSchema,
});
export type Finding = z.infer<typeof findingSchema>;

export const DOCTOR_KINDS = ['inbound', 'outbound', 'pixel'] as const;
export type DoctorKind = (typeof DOCTOR_KINDS)[number];
export const DOCTOR_SCOPES = ['global', 'specific', 'global_offer'] as const;
/** Which macro reference the URL is written for: the network's (Everflow) or Closeloop's http-postback connector. */
export const MACRO_DIALECTS = ['everflow', 'closeloop'] as const;
export type MacroDialect = (typeof MACRO_DIALECTS)[number];

export const doctorContextSchema = z
  .object({
    scope: z.enum(DOCTOR_SCOPES).optional(),
    offer_id: z
      .union([z.string().max(64), z.number().int().min(0)])
      .transform(String)
      .optional(),
    /** Extension: the partner of a partner postback (duplicates are per partner). */
    partner_id: z
      .union([z.string().max(64), z.number().int().min(0)])
      .transform(String)
      .optional(),
    /** Extension: the partner postback being edited, left out of the duplicate check. */
    postback_id: z.number().int().min(1).optional(),
    source: z.string().max(64).optional(),
    /** Platforms of the traffic this postback fires for: google, meta, tiktok, reddit, … */
    traffic_sources: z.array(z.string().max(32)).max(20).optional(),
    /** `conversion` | `event` | `cpc`, or an offer event id (an `event` postback for that event). */
    event: z.string().max(64).optional(),
    /** A configured destination id (left out of the duplicate check; picks the Closeloop macro reference). */
    destination: z.string().max(64).optional(),
    /** Extension: force the macro reference; by default inbound/partner postbacks use Everflow's, http-postback destinations Closeloop's. */
    macros: z.enum(MACRO_DIALECTS).optional(),
  })
  .strict();
export type DoctorContext = z.infer<typeof doctorContextSchema>;

export const doctorInputSchema = z
  .object({
    url: z.string().max(16_384, 'at most 16384 characters'),
    kind: z.enum(DOCTOR_KINDS).default('outbound'),
    live: z.boolean().default(false),
    context: doctorContextSchema.default({}),
  })
  .strict();
export type DoctorInput = z.infer<typeof doctorInputSchema>;

/** Builder used by every check, so each finding has all five fields. */
export function finding(severity: Severity, code: string, message: string, fix: string, position: Position = null): Finding {
  return { severity, code, message, fix, position };
}

/** ok = no error-level finding (CONTRACT.md). */
export const isOk = (findings: readonly Finding[]): boolean => !findings.some((f) => f.severity === 'error');
