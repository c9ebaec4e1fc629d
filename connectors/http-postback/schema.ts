import { z } from 'zod';
import { urlTemplateIssues } from '../../src/connector-kit';

/**
 * Header names and values are checked when the destination is saved: a bad one would otherwise
 * be rejected by the HTTP client on every attempt and look like a network failure (transient),
 * retrying forever instead of pausing for a person to fix it.
 */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header name must be an HTTP token (letters, digits, - and the like)');
const headerValue = z.string().regex(/^[^\r\n\0]*$/, 'header value must not contain line breaks');

export const HTTP_POSTBACK_METHODS = ['GET', 'POST'] as const;
export const HTTP_POSTBACK_CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;

export const httpPostbackSettingsSchema = z.object({
  /**
   * URL template with `{macro}` placeholders. Only http(s): anything else (ftp:, javascript:…)
   * is a typo or an attempt to reach something that is not a postback receiver.
   */
  url: z
    .string({ error: (issue) => (issue.input === undefined ? 'url is required' : 'url must be a string') })
    .trim()
    // The postback doctor's checks (scheme, host, spaces, encoded braces…): one copy for the doctor and the config.
    .superRefine((url, ctx) => {
      for (const issue of urlTemplateIssues(url)) ctx.addIssue({ code: 'custom', message: issue.message });
    }),
  method: z.enum(HTTP_POSTBACK_METHODS).default('GET'),
  /** Body template, sent with POST only (ignored for GET, which has no body). */
  body: z.string().optional(),
  /** How macro values in `body` are escaped, and the content-type header sent with it. */
  contentType: z.enum(HTTP_POSTBACK_CONTENT_TYPES).default('application/json'),
  /** Static, non-secret headers. Secrets belong in credentials.headers, which are redacted. */
  headers: z.record(headerName, headerValue).optional(),
  /**
   * Header that carries the delivery's de-duplication key (the same on every retry and after a
   * crash), so the receiver can drop re-sends (issue 7 item 18; the header of the IETF
   * draft-ietf-httpapi-idempotency-key-header). `false` sends none.
   */
  idempotencyHeader: z.union([headerName, z.literal(false)]).default('Idempotency-Key'),
});
export type HttpPostbackSettings = z.infer<typeof httpPostbackSettingsSchema>;

export const httpPostbackCredentialsSchema = z
  .object({
    /** Secret headers, e.g. `Authorization: Bearer …`. They win over settings.headers. */
    headers: z.record(headerName, headerValue).optional(),
    /** Secret query parameters appended to the rendered URL, URL-encoded, e.g. `{ key: '…' }`. */
    query: z.record(z.string().min(1, 'query parameter name must not be empty'), z.string()).optional(),
  })
  .default({});
export type HttpPostbackCredentials = z.infer<typeof httpPostbackCredentialsSchema>;
