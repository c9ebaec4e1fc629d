import { z } from 'zod';

/** Webhook events the network side emits (Everflow's, https://developers.everflow.io/webhooks/overview, plus our deactivation notice). */
export const NETWORK_WEBHOOK_EVENTS = ['conversion.registered', 'event.registered', 'postback.deactivated'] as const;
export type NetworkWebhookEvent = (typeof NETWORK_WEBHOOK_EVENTS)[number];

const webhookSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/, 'webhook ids are 1–48 letters, digits, _ . -'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** Signing secret `whsec_<base64>` (Standard Webhooks); checked by connectors/webhook's schema at boot. */
  secret: z.string(),
  events: z.array(z.enum(NETWORK_WEBHOOK_EVENTS)).min(1, 'subscribe to at least one event'),
  enabled: z.boolean().default(true),
});
export type NetworkWebhookConfig = z.infer<typeof webhookSchema>;

/**
 * The `network:` section of the config: the Everflow-style partner-postback side.
 * Defaults follow a network's postback guide, https://www.ourdreamaiaffiliate.com/onboarding/postbacks
 * (5 retries per failed attempt, 10 consecutive failures within 72 h
 * deactivate); the request timeout is our choice (Everflow documents none).
 */
export const networkConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /**
   * `nid` of the advertiser S2S postback
   * (https://helpdesk.everflow.io/customer/accessing-editing-s2s-postback-urls); other values are refused.
   */
  networkId: z.number().int().min(1).default(1),
  /**
   * When set, advertiser S2S postbacks must carry `verification_token` equal to it
   * (https://developers.everflow.io/sdk/conversion-tracking).
   */
  verificationToken: z.string().min(8).optional(),
  /** Retries after a failed attempt before it counts as one failure (that guide: 5). */
  retries: z.number().int().min(0).max(20).default(5),
  /** Per-request timeout for partner postbacks; no answer in time is a failure (that guide). */
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  deactivation: z
    .object({
      failures: z.number().int().min(1).default(10),
      windowHours: z.number().positive().default(72),
    })
    .prefault({}),
  /**
   * Hosts or CIDR ranges partner URLs may reach although they are loopback/private/link-local/
   * metadata addresses (refused by default). Tests list 127.0.0.1 here.
   */
  allowPrivateTargets: z.array(z.string()).default([]),
  /**
   * A second click of the same (offer, partner, ip) within this many hours is not unique (Everflow's
   * session definition, https://help.everflow.io/support/solutions/articles/22000223192-session-definition-rules-for-duplicate-clicks-conversions).
   */
  clickSessionHours: z.number().positive().default(24),
  /** How often a process re-reads postbacks changed by another process sharing the database. */
  refreshMs: z.number().int().min(100).default(5_000),
  webhooks: z.array(webhookSchema).default([]),
});
export type NetworkConfig = z.infer<typeof networkConfigSchema>;
