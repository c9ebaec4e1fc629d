import { z } from 'zod';

export const PARTNER_POSTBACK_METHODS = ['GET', 'POST'] as const;
export const PARTNER_POST_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/json'] as const;

/**
 * One partner postback as the delivery engine sees it. The network side (src/network) builds
 * these from its `network_postbacks` rows; Everflow's rules (https://developers.everflow.io/api-reference/post-networkspixels.md: level, type, delay…)
 * are checked there when the postback is saved, so only what shapes the request is here.
 */
export const partnerPostbackSettingsSchema = z.object({
  /** Everflow: "must start with http:// or https://" (https://developers.everflow.io/api-reference/post-networkspixels.md). May contain macros. */
  url: z
    .string()
    .trim()
    .regex(/^https?:\/\/\S/i, 'url must start with http:// or https://'),
  /** Everflow sends GET (https://mphelpcenter.giddyup.io/en/articles/11642997-what-happens-when-a-conversion-fires); POST is our option for receivers that need it. */
  method: z.enum(PARTNER_POSTBACK_METHODS).default('GET'),
  /** POST only: a body template with the same macros; absent = empty body. */
  body: z.string().optional(),
  contentType: z.enum(PARTNER_POST_CONTENT_TYPES).default('application/x-www-form-urlencoded'),
});
export type PartnerPostbackSettings = z.infer<typeof partnerPostbackSettingsSchema>;

/** Partner postbacks carry no secrets of ours: whatever token a partner needs is in its own URL. */
export const partnerPostbackCredentialsSchema = z.object({}).default({});
export type PartnerPostbackCredentials = z.infer<typeof partnerPostbackCredentialsSchema>;
