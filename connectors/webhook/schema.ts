import { z } from 'zod';
import { decodeWebhookSecret } from './sign';

// Same rules as http-postback: a bad header would otherwise fail every attempt in the HTTP
// client and look like a network error (retried forever) instead of a setting to fix.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header name must be an HTTP token (letters, digits, - and the like)');
const headerValue = z.string().regex(/^[^\r\n\0]*$/, 'header value must not contain line breaks');

/** Headers the signature scheme owns: a static header must not replace them. */
const RESERVED = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'content-length', 'host']);

export const webhookSettingsSchema = z.object({
  url: z
    .string({ error: (i) => (i.input === undefined ? 'url is required' : 'url must be a string') })
    .trim()
    .regex(/^https?:\/\/[^\s/]+\S*$/i, 'url must start with http:// or https://'),
  /** Static, non-secret headers (logged as is); put tokens in the receiver's secret instead. */
  headers: z
    .record(headerName, headerValue)
    .refine((h) => Object.keys(h).every((k) => !RESERVED.has(k.toLowerCase())), 'headers must not set webhook-*, content-type, content-length or host')
    .default({}),
  /**
   * Include the click's ip address and user agent (personal data). Off by default: most
   * receivers need the click ids, not who clicked.
   */
  includeClientData: z.boolean().default(false),
});
export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;

export const webhookCredentialsSchema = z.object({
  /** Signing secret `whsec_<base64>` (24–64 random bytes), shared with the receiver. */
  secret: z
    .string({ error: (i) => (i.input === undefined ? 'secret is required' : 'secret must be a string') })
    .trim()
    .refine((s) => decodeWebhookSecret(s) !== null, 'secret must be whsec_ followed by base64 of 24–64 random bytes'),
});
export type WebhookCredentials = z.infer<typeof webhookCredentialsSchema>;
