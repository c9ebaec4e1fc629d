import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks symmetric signatures (https://www.standardwebhooks.com/, spec 1.0.0,
 * "Signature scheme" and "Webhook headers"): HMAC-SHA256 over `${id}.${timestamp}.${body}` with
 * the secret's bytes, sent as `webhook-signature: v1,<base64>` next to `webhook-id` and
 * `webhook-timestamp` (unix seconds of the attempt). Secrets are shown to users as
 * `whsec_<base64>`, 24–64 random bytes. Reusable by anything that sends signed webhooks.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Receivers should refuse timestamps further than this from their clock (replay window). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The key bytes of `whsec_<base64>` (the prefix is optional, as in the reference libraries); null if malformed. */
export function decodeWebhookSecret(secret: string): Buffer | null {
  const b64 = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return null;
  const key = Buffer.from(b64, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : null;
}

/** A fresh `whsec_…` secret (32 random bytes), for setup screens and tests. */
export function generateWebhookSecret(bytes = 32): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

function keyOf(secret: string): Buffer {
  const key = decodeWebhookSecret(secret);
  // Settings are validated with decodeWebhookSecret before they get here; reaching this is a bug.
  if (!key) throw new RangeError('webhook secret must be whsec_ followed by base64 of 24–64 bytes');
  return key;
}

/** `v1,<base64 HMAC-SHA256>` over `${id}.${timestampSeconds}.${body}`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  if (/[.\s]/.test(id) || id === '') throw new RangeError('webhook id must be non-empty without dots or spaces'); // spec: no '.' in id
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;
export type VerifyResult = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

/**
 * What a receiver runs on the RAW body (not re-serialised JSON): checks the headers are there,
 * the timestamp is within `toleranceSeconds` of `now` (epoch ms), and one of the space-separated
 * `v1,` signatures matches, compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: HeaderBag,
  body: string,
  now: number = Date.now(),
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): VerifyResult {
  const key = decodeWebhookSecret(secret);
  if (!key) return { ok: false, reason: 'secret is not whsec_<base64 of 24–64 bytes>' };
  const get = (name: string): string | undefined => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(' ') : (v as string | undefined);
    return undefined;
  };
  const id = get('webhook-id');
  const ts = get('webhook-timestamp');
  const sig = get('webhook-signature');
  if (!id || !ts || !sig) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
  const timestamp = Number(ts);
  const nowSec = Math.floor(now / 1000);
  if (nowSec - timestamp > toleranceSeconds) return { ok: false, reason: 'timestamp too old' };
  if (timestamp - nowSec > toleranceSeconds) return { ok: false, reason: 'timestamp too new' };
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64'));
  for (const part of sig.split(' ')) {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: 'no matching v1 signature' };
}
