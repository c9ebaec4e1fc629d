import { z } from 'zod';
import { customerIdSchema, LOOPBACK_HOSTS, numericIdSchema, tokenUrlSchema } from '../_shared/google';
import { isValidTimeZone } from '../_shared/time';

const endpointSchema = z
  .object({
    host: z.string().trim().min(1).default('googleads.googleapis.com'),
    port: z.number().int().min(1).max(65_535).default(443),
    /** Plain-text gRPC (no TLS): only for a fake on a loopback address. */
    insecure: z.boolean().default(false),
  })
  .refine((e) => !e.insecure || LOOPBACK_HOSTS.has(e.host), {
    message: 'endpoint.insecure is only allowed for 127.0.0.1, ::1 or localhost (the access token would travel in clear text)',
    path: ['insecure'],
  });

/**
 * Per-destination consent defaults, used for a conversion that says nothing itself (its own
 * signal always wins). Google Ads' ConsentStatus names
 * (developers.google.com/google-ads/api/reference/rpc/v25/ConsentStatusEnum.ConsentStatus).
 * ad_personalization "can only be set for OfflineUserDataJobService and UserDataService"
 * (developers.google.com/google-ads/api/reference/rpc/v25/Consent), never on a click conversion:
 * refused here by name rather than silently dropped.
 */
const consentDefaultsSchema = z.object({
  adUserData: z.enum(['GRANTED', 'DENIED'], { error: 'consent.adUserData is GRANTED or DENIED' }).optional(),
  adPersonalization: z
    .never({
      error: 'Google Ads takes no ad_personalization on click conversions (only Customer Match does); set consent.adUserData only',
    })
    .optional(),
});

export const googleAdsSettingsSchema = z.object({
  /** The advertiser account that owns the conversion action (10 digits). */
  customerId: customerIdSchema,
  /** Numeric id of the conversion action (Goals → Conversions → the action → `ctId=` in the URL). */
  conversionActionId: numericIdSchema('conversionActionId'),
  /** Manager (MCC) account the OAuth user signs in through; sent as `login-customer-id`. */
  loginCustomerId: customerIdSchema.optional(),
  /**
   * The account's time zone (Admin → Account settings), IANA name or fixed offset. Only changes
   * how the time is written: the offset is always explicit, so Google never has to guess.
   */
  timeZone: z.string().trim().default('UTC').refine(isValidTimeZone, 'timeZone must be an IANA zone (Europe/Paris) or an offset (+02:00)'),
  /** ad_user_data for conversions that carry no consent of their own; omitted when unset. */
  consent: consentDefaultsSchema.optional(),
  /** Send every upload with validate_only: Google checks it and records nothing. */
  validateOnly: z.boolean().default(false),
  /** Where the gRPC channel goes; tests point it at a fake on 127.0.0.1. */
  endpoint: endpointSchema.default({ host: 'googleads.googleapis.com', port: 443, insecure: false }),
  tokenUrl: tokenUrlSchema,
});
export type GoogleAdsSettings = z.infer<typeof googleAdsSettingsSchema>;

const secret = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .min(1, `${name} is required`);

/**
 * OAuth2 "installed/web app" client + a refresh token with the `adwords` scope.
 * `developer_token` is optional: Google ignores it since 2026-09-09
 * (https://developers.google.com/google-ads/api/docs/api-policy/developer-token);
 * it is still sent when present, for accounts on older API behaviour.
 */
export const googleAdsCredentialsSchema = z.object({
  client_id: secret('client_id'),
  client_secret: secret('client_secret'),
  refresh_token: secret('refresh_token'),
  developer_token: z.string().trim().min(1).optional(),
});
export type GoogleAdsCredentials = z.infer<typeof googleAdsCredentialsSchema>;

/** What `build` puts in the body: UploadClickConversionsRequest, field names as in the proto. */
export interface ClickConversionRow {
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  conversion_action: string;
  conversion_date_time: string;
  conversion_value?: number;
  currency_code?: string;
  order_id: string;
  /** Enhanced conversions for leads: one identifier per entry, SHA-256 hex. */
  user_identifiers?: Array<{ hashed_email: string } | { hashed_phone_number: string }>;
  /** ClickConversion.consent: ad_user_data only (see consentDefaultsSchema). */
  consent?: { ad_user_data: 'GRANTED' | 'DENIED' };
}

export interface UploadClickConversionsBody {
  customer_id: string;
  conversions: ClickConversionRow[];
  partial_failure: true;
  validate_only: boolean;
}
