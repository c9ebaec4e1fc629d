import { z } from 'zod';

/** https://business-api.tiktok.com — overridable so tests (and proxies) can point elsewhere. */
export const TIKTOK_BASE_URL = 'https://business-api.tiktok.com';

/**
 * TikTok's standard web events (ads.tiktok.com/help/article/standard-events-parameters). Any
 * other name is sent as a custom event, which TikTok reports but cannot optimise for.
 */
export const TIKTOK_STANDARD_EVENTS = [
  'AddPaymentInfo',
  'AddToCart',
  'AddToWishlist',
  'ClickButton',
  'CompletePayment',
  'CompleteRegistration',
  'Contact',
  'Download',
  'InitiateCheckout',
  'PlaceAnOrder',
  'Search',
  'SubmitForm',
  'Subscribe',
  'ViewContent',
  'Lead',
] as const;

const eventName = z.string().trim().min(1, 'event name must not be empty').max(100);

export const tiktokSettingsSchema = z
  .object({
    /** API origin; the connector appends `/open_api/v1.3/event/track/`. */
    baseUrl: z
      .string()
      .trim()
      .regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/i, 'baseUrl must be an http:// or https:// URL')
      .transform((u) => u.replace(/\/+$/, ''))
      .default(TIKTOK_BASE_URL),
    /** Pixel code from Events Manager (`event_source_id`), e.g. `CXXXXXXXXXXXXXXXXX`. */
    pixelCode: z
      .string({ error: (i) => (i.input === undefined ? 'pixelCode is required' : 'pixelCode must be a string') })
      .trim()
      .regex(/^[A-Za-z0-9]{6,64}$/, 'pixelCode is the letters-and-digits code shown in Events Manager'),
    /** Our event name (`conversion` for a base conversion) → TikTok event. */
    eventMap: z.record(z.string(), eventName).default({}),
    /** TikTok event for events not in eventMap. */
    defaultEvent: eventName.default('CompletePayment'),
    /** Events Manager → Test Events code; used for "test destination" deliveries. */
    testEventCode: z.string().trim().min(1).max(64).optional(),
    /**
     * Send EVERY delivery with testEventCode (a staging destination). Off by default: a code
     * left in the settings must not silently turn live conversions into test events.
     */
    testAllEvents: z.boolean().default(false),
    /** Fail (payload) conversions whose click has no ttclid instead of sending ip/UA only. */
    requireTtclid: z.boolean().default(false),
    /**
     * `limited_data_use` for conversions that carry no signal of their own (theirs always wins):
     * true marks them for Limited Data Use under US state privacy laws
     * (business-api.tiktok.com/portal/docs?id=1771101027431425, Events API 2.0 `data[]`). Unset:
     * the field is sent only for conversions that say.
     */
    limitedDataUse: z.boolean().optional(),
  })
  .refine((s) => !s.testAllEvents || s.testEventCode !== undefined, {
    message: 'testAllEvents needs testEventCode',
    path: ['testAllEvents'],
  });
export type TiktokSettings = z.infer<typeof tiktokSettingsSchema>;

export const tiktokCredentialsSchema = z.object({
  /** Events Manager → pixel → Settings → Generate Access Token. Sent as the Access-Token header. */
  accessToken: z
    .string({ error: (i) => (i.input === undefined ? 'accessToken is required' : 'accessToken must be a string') })
    .trim()
    .min(16, 'accessToken looks truncated (TikTok tokens are 40+ characters)')
    .regex(/^[^\s]+$/, 'accessToken must not contain spaces or line breaks'),
});
export type TiktokCredentials = z.infer<typeof tiktokCredentialsSchema>;

/** The request body we send (Events API 2.0, business-api.tiktok.com/portal/docs?id=1771100865818625). */
export interface TiktokEvent {
  event: string;
  event_time: number;
  event_id: string;
  user: { ttclid?: string; ip?: string; user_agent?: string; email?: string; phone?: string; external_id?: string };
  page?: { url: string; referrer?: string };
  properties: { value?: number; currency?: string; order_id: string };
  limited_data_use?: boolean;
}
export interface TiktokBody {
  event_source: 'web';
  event_source_id: string;
  test_event_code?: string;
  data: TiktokEvent[];
}
