import { verifyWebhookSignature } from '../../connectors/webhook/sign';
import { jsonReply, type FakeReply, type RecordedRequest } from '../helpers/fake-server';
import { acceptLog, serveScripted, type TransportStep } from './scripted';

/**
 * A Standard Webhooks receiver on 127.0.0.1:0 that does what a careful receiver does: verifies
 * the signature on the raw body (401 otherwise), refuses stale timestamps, requires JSON whose
 * `id` equals the `webhook-id` header, and de-duplicates on that id (a repeat is acknowledged
 * but not recorded twice). A script injects failures.
 */
export type WebhookStep = 'ok' | TransportStep;

export interface WebhookReceiverOptions {
  secret: string;
  now?: () => number;
  script?: WebhookStep[];
}

export interface WebhookAccepted {
  id: string;
  type: string;
  timestamp: number;
  payload: Record<string, any>;
  headers: RecordedRequest['headers'];
}

export async function startWebhookReceiver(options: WebhookReceiverOptions) {
  const now = options.now ?? Date.now;
  const log = acceptLog<WebhookAccepted>('webhook receiver');
  const { accepted, rejections } = log;
  /** Every delivery of an id, retries included: ids that arrived more than once were retried. */
  const seen = new Map<string, number>();

  const refuse = (status: number, reason: string): FakeReply => {
    rejections.push(reason);
    return jsonReply(status, { error: reason });
  };

  function respond(req: RecordedRequest): FakeReply {
    if (req.method !== 'POST') return refuse(405, 'POST only');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(415, 'content-type must be application/json');
    const verdict = verifyWebhookSignature(options.secret, req.headers as Record<string, string>, req.body, now());
    if (!verdict.ok) return refuse(401, `signature: ${verdict.reason}`);
    let payload: unknown;
    try {
      payload = JSON.parse(req.body);
    } catch {
      return refuse(400, 'body is not JSON');
    }
    const p = payload as Record<string, any>;
    if (!p || typeof p !== 'object' || p.id !== verdict.id) return refuse(400, 'payload id must equal webhook-id');
    if (typeof p.type !== 'string' || !/^[a-z_]+(\.[a-z_]+)+$/.test(p.type)) return refuse(400, 'type must be dotted, e.g. conversion.received');
    if (p.version !== 1) return refuse(400, `unsupported payload version ${String(p.version)}`);
    if (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp))) return refuse(400, 'timestamp must be RFC 3339');
    if (!p.data || typeof p.data !== 'object') return refuse(400, 'data is required');
    const count = (seen.get(verdict.id) ?? 0) + 1;
    seen.set(verdict.id, count);
    if (count === 1) accepted.push({ id: verdict.id, type: p.type, timestamp: verdict.timestamp, payload: p, headers: req.headers });
    return { status: 204 };
  }

  const fake = await serveScripted<TransportStep, WebhookAccepted>(log, { script: options.script, contentType: 'text/plain', respond });
  return { ...fake, seen };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
