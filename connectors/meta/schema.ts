import { z } from 'zod';

/** https://graph.facebook.com — overridable so tests (and proxies) can point elsewhere. */
export const META_BASE_URL = 'https://graph.facebook.com';

/**
 * The Graph version we pin: the one facebook-nodejs-business-sdk 24.0.1 hard-codes (VERSION =
 * 'v24.0' in its src/api.js), released 2025-10-08 and supported until 2028-02-18
 * (developers.facebook.com/docs/graph-api/changelog/versions/).
 */
export const META_API_VERSION = 'v24.0';

/** Meta's batch limit: "up to 1,000 events in data" (developers.facebook.com/docs/marketing-api/conversions-api/using-the-api). */
export const META_MAX_BATCH = 1000;

const eventName = z.string().trim().min(1, 'event name must not be empty').max(100);

export const metaSettingsSchema = z
  .object({
    /** Events Manager → Data sources → your pixel (dataset) → Settings → "Dataset ID". Digits. */
    pixelId: z
      .string({ error: (i) => (i.input === undefined ? 'pixelId is required' : 'pixelId must be a string of digits') })
      .trim()
      .regex(/^\d{5,20}$/, 'pixelId is the numeric dataset (pixel) id from Events Manager'),
    /** API origin; the connector appends `/{apiVersion}/{pixelId}/events`. */
    baseUrl: z
      .string()
      .trim()
      .regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/i, 'baseUrl must be an http:// or https:// URL')
      .transform((u) => u.replace(/\/+$/, ''))
      .default(META_BASE_URL),
    /** Graph version in the path. Change it when Meta retires the pinned one (README). */
    apiVersion: z
      .string()
      .trim()
      .regex(/^v\d+\.\d+$/, 'apiVersion looks like v24.0')
      .default(META_API_VERSION),
    /** Our event name (`conversion` for a base conversion) → Meta event_name. */
    eventNames: z.record(z.string(), eventName).default({}),
    /** Meta event_name for events not in eventNames. */
    defaultEventName: eventName.default('Purchase'),
    /** Events Manager → Test Events code (e.g. TEST12345); used by "test destination". */
    testEventCode: z.string().trim().min(1).max(64).optional(),
    /**
     * Send EVERY delivery with testEventCode (a staging destination). Off by default: Meta says
     * to remove the code in production, so a code kept in the settings for the test button must
     * not silently route live conversions to Test Events.
     */
    testAllEvents: z.boolean().default(false),
    /**
     * Limited Data Use for conversions that carry no `limited_data_use` signal of their own (theirs
     * always wins): sent as data_processing_options ["LDU"] with this country and state.
     * 0 and 0 let Meta geolocate the event; country 1 is the US, state 1000 California
     * (developers.facebook.com/docs/marketing-apis/data-processing-options). Unset: nothing is
     * sent for conversions that say nothing.
     */
    limitedDataUse: z
      .object({
        country: z.union([z.literal(0), z.literal(1)], { error: 'limitedDataUse.country is 0 (geolocate) or 1 (US)' }).default(0),
        state: z.number({ error: 'limitedDataUse.state is a number: 0 (geolocate) or a state code such as 1000 (California)' }).int().min(0).default(0),
      })
      .optional(),
  })
  .refine((s) => !s.testAllEvents || s.testEventCode !== undefined, {
    message: 'testAllEvents needs testEventCode',
    path: ['testAllEvents'],
  });
export type MetaSettings = z.infer<typeof metaSettingsSchema>;

export const metaCredentialsSchema = z.object({
  /**
   * Events Manager → your dataset → Settings → Conversions API → "Generate access token" (or a
   * System User token with ads_management on the dataset). Sent in the JSON body, never the URL.
   */
  accessToken: z
    .string({ error: (i) => (i.input === undefined ? 'accessToken is required' : 'accessToken must be a string') })
    .trim()
    .min(20, 'accessToken looks truncated (Meta tokens are 100+ characters)')
    .regex(/^\S+$/, 'accessToken must not contain spaces or line breaks'),
  /**
   * Optional app secret: when set, requests carry appsecret_proof = HMAC-SHA256(secret, token),
   * which apps with "Require App Secret" enforce (developers.facebook.com/docs/graph-api/security#appsecret_proof).
   */
  appSecret: z.string().trim().min(8).optional(),
});
export type MetaCredentials = z.infer<typeof metaCredentialsSchema>;

/** One event as the SDK's ServerEvent.normalize() returns it (the fields we set). */
export interface MetaEvent {
  event_name: string;
  event_time: number;
  event_id: string;
  action_source: 'website' | 'system_generated';
  event_source_url?: string;
  user_data: {
    client_ip_address?: string;
    client_user_agent?: string;
    fbc?: string;
    fbp?: string;
    em?: string[];
    ph?: string[];
    fn?: string[];
    ln?: string[];
    external_id?: string[];
  };
  custom_data: { value?: number; currency?: string; order_id?: string };
  data_processing_options?: string[];
  data_processing_options_country?: number;
  data_processing_options_state?: number;
}

/** The body of POST /{version}/{pixel}/events, key for key what EventRequest.execute() builds. */
export interface MetaBody {
  data: MetaEvent[];
  test_event_code?: string;
  access_token: string;
  appsecret_proof?: string;
}
