import { z } from 'zod';

/** https://ads-api.reddit.com — overridable so tests (and proxies) can point elsewhere. */
export const REDDIT_BASE_URL = 'https://ads-api.reddit.com';

/**
 * Reddit rate-limits generic user agents ("Your user agent was automatically ratelimited",
 * ads-api.reddit.com/docs/v3/capi-migration), so every request names us; installations may add their own contact.
 */
export const REDDIT_DEFAULT_USER_AGENT = 'closeloop-conversion-gateway/0.1 (reddit-capi)';
const GENERIC_UA = /^(?:node|undici|axios|got|node-fetch|python-requests|python-urllib|curl|wget|go-http-client|java|okhttp|mozilla\/5\.0$)/i;

/**
 * v2.0 spellings
 * (https://github.com/segmentio/action-destinations/tree/main/packages/destination-actions/src/destinations/reddit-conversions-api);
 * v3 uses the SCREAMING_SNAKE form of the same names.
 */
export const REDDIT_TRACKING_TYPES = ['Purchase', 'Lead', 'SignUp', 'PageVisit', 'ViewContent', 'Search', 'AddToCart', 'AddToWishlist'] as const;

const eventName = z.string().trim().min(1, 'event name must not be empty').max(64);

export const redditSettingsSchema = z.object({
  /** API origin; the connector appends the versioned path. */
  baseUrl: z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/i, 'baseUrl must be an http:// or https:// URL')
    .transform((u) => u.replace(/\/+$/, ''))
    .default(REDDIT_BASE_URL),
  /**
   * Which Conversions API: 'v3' (`/api/v3/pixels/{pixelId}/conversion_events`) or 'v2'
   * (`/api/v2.0/conversions/events/{pixelId}`). One per destination: Reddit accepts both and
   * sending the same event through both would count it twice.
   */
  apiVersion: z.enum(['v2', 'v3']).default('v3'),
  /**
   * Pixel ID from Events Manager (`a2_…`, or `t2_…` for older accounts). v2 calls the path
   * segment `account_id`; Reddit's v3 migration note says it is this same Pixel ID.
   */
  pixelId: z
    .string({ error: (i) => (i.input === undefined ? 'pixelId is required' : 'pixelId must be a string') })
    .trim()
    .regex(/^[A-Za-z0-9_]{3,64}$/, 'pixelId is the id shown in Reddit Events Manager, e.g. a2_abc123'),
  /** Our event name → Reddit tracking type; a name that is not a Reddit type is sent as Custom. */
  eventMap: z.record(z.string(), eventName).default({}),
  defaultEvent: eventName.default('Purchase'),
  /** v3 Event Testing id (Events Manager → Event Testing); used for "test destination" deliveries. */
  testId: z.string().trim().min(1).max(128).optional(),
  /** Fail (payload) conversions whose click has no rdt_cid instead of sending ip/UA only. */
  requireClickId: z.boolean().default(false),
  /**
   * Limited Data Use for conversions that carry no `limited_data_use` signal of their own (theirs
   * always wins): `user.data_processing_options {modes: ["LDU"], country, region}`
   * (ads-api.reddit.com/docs/v3/capi-migration: it replaces `opt_out`). country ISO 3166-1 ("US"),
   * region ISO 3166-2 ("US-CA"); both optional. Unset: nothing for conversions that say nothing.
   */
  limitedDataUse: z
    .object({
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, 'limitedDataUse.country is an ISO 3166-1 code such as US')
        .optional(),
      region: z
        .string()
        .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, 'limitedDataUse.region is an ISO 3166-2 code such as US-CA')
        .optional(),
    })
    .optional(),
  userAgent: z
    .string()
    .trim()
    .min(8, 'userAgent must identify this gateway')
    .max(200)
    .regex(/^[\x20-\x7e]+$/, 'userAgent must be printable ASCII')
    .refine((ua) => !GENERIC_UA.test(ua), 'userAgent looks generic; Reddit rate-limits generic user agents')
    .default(REDDIT_DEFAULT_USER_AGENT),
});
export type RedditSettings = z.infer<typeof redditSettingsSchema>;

export const redditCredentialsSchema = z.object({
  /** Reddit Ads Manager → Events Manager → Conversions API → "Conversion Access Token". */
  accessToken: z
    .string({ error: (i) => (i.input === undefined ? 'accessToken is required' : 'accessToken must be a string') })
    .trim()
    .min(16, 'accessToken looks truncated')
    .regex(/^[^\s]+$/, 'accessToken must not contain spaces or line breaks'),
});
export type RedditCredentials = z.infer<typeof redditCredentialsSchema>;

export interface RedditUser {
  ip_address?: string;
  user_agent?: string;
  /** SHA-256 hex of Reddit's canonical address (identifiers.ts `email_reddit_sha256`). */
  email?: string;
  /** SHA-256 hex of `+digits` (E.164, no extension). */
  phone_number?: string;
  external_id?: string;
  data_processing_options?: { modes: ['LDU']; country?: string; region?: string };
}

/**
 * v2.0 body
 * (https://github.com/segmentio/action-destinations/tree/main/packages/destination-actions/src/destinations/reddit-conversions-api).
 */
export interface RedditV2Body {
  test_mode: boolean;
  events: Array<{
    event_at: string;
    event_type: { tracking_type: string; custom_event_name?: string };
    click_id?: string;
    event_metadata: { conversion_id: string; currency?: string; value_decimal?: number };
    user: RedditUser;
  }>;
}

/** v3 body (ads-api.reddit.com/docs/v3/capi-migration). */
export interface RedditV3Body {
  data: {
    test_id?: string;
    events: Array<{
      event_at: number;
      action_source: 'WEBSITE' | 'OTHER';
      type: { tracking_type: string; custom_event_name?: string };
      click_id?: string;
      event_source_url?: string;
      metadata: { conversion_id: string; currency?: string; value?: number };
      user: RedditUser;
    }>;
  };
}
