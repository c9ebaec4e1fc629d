import { z } from 'zod';
import { customerIdSchema, isSafeUrl, numericIdSchema, tokenUrlSchema } from '../_shared/google';

/** Data Manager event sources. https://developers.google.com/data-manager/api/reference/rest/v1/EventSource */
export const EVENT_SOURCES = ['WEB', 'APP', 'IN_STORE', 'PHONE', 'OTHER'] as const;
const consentValue = z.enum(['CONSENT_GRANTED', 'CONSENT_DENIED']);

export const dataManagerSettingsSchema = z.object({
  /** API root; tests point it at a fake on 127.0.0.1. */
  baseUrl: z
    .string()
    .trim()
    .default('https://datamanager.googleapis.com')
    .refine(isSafeUrl, 'baseUrl must be https:// (http:// only for 127.0.0.1 or localhost)')
    .transform((u) => u.replace(/\/+$/, '')),
  tokenUrl: tokenUrlSchema,
  /** The Google Ads account that owns the conversion action (`operatingAccount.accountId`). */
  operatingAccountId: customerIdSchema,
  /** Manager account the OAuth user signs in through (`loginAccount`), when not the operating account. */
  loginAccountId: customerIdSchema.optional(),
  /** Numeric conversion action id (`productDestinationId`) — not the `customers/…` resource name. */
  conversionActionId: numericIdSchema('conversionActionId'),
  eventSource: z.enum(EVENT_SOURCES).default('WEB'),
  /**
   * Request-level consent (EEA traffic needs it); omitted when unset. The default for conversions
   * that say nothing: a conversion's own signal goes on its event, and "user-level consent
   * overrides request-level consent" (developers.google.com/data-manager/api/reference/rest/v1/events/ingest).
   */
  consent: z.object({ adUserData: consentValue.optional(), adPersonalization: consentValue.optional() }).optional(),
  /** Send every request with validateOnly: Google checks it and ingests nothing. */
  validateOnly: z.boolean().default(false),
});
export type DataManagerSettings = z.infer<typeof dataManagerSettingsSchema>;

const secret = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .min(1, `${name} is required`);

/** OAuth2 client + refresh token granted the `datamanager` scope. No developer token. */
export const dataManagerCredentialsSchema = z.object({
  client_id: secret('client_id'),
  client_secret: secret('client_secret'),
  refresh_token: secret('refresh_token'),
});
export type DataManagerCredentials = z.infer<typeof dataManagerCredentialsSchema>;

export type DataManagerConsent = { adUserData?: 'CONSENT_GRANTED' | 'CONSENT_DENIED'; adPersonalization?: 'CONSENT_GRANTED' | 'CONSENT_DENIED' };

/** The `events:ingest` body this connector sends (camelCase, proto3 JSON). */
export interface IngestEventsBody {
  destinations: Array<{
    operatingAccount: { accountType: 'GOOGLE_ADS'; accountId: string };
    loginAccount?: { accountType: 'GOOGLE_ADS'; accountId: string };
    productDestinationId: string;
  }>;
  events: Array<{
    eventTimestamp: string;
    transactionId: string;
    conversionValue?: number;
    currency?: string;
    adIdentifiers: { gclid?: string; gbraid?: string; wbraid?: string };
    /** SHA-256 hex, one identifier per entry; the request then says `encoding: HEX`. */
    userData?: { userIdentifiers: Array<{ emailAddress: string } | { phoneNumber: string }> };
    /** The conversion's own consent (developers.google.com/data-manager/api/reference/rest/v1/Consent). */
    consent?: DataManagerConsent;
    eventSource: (typeof EVENT_SOURCES)[number];
  }>;
  encoding?: 'HEX';
  consent?: DataManagerConsent;
  validateOnly: boolean;
}
