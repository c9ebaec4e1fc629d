import type { DestinationConfig } from '../config';
import type { AnyConnector } from '../connector-kit/define';
import type { HttpClient } from '../connector-kit/http-types';
import { urlSecretValues } from '../connector-kit/redact';
import type { DestinationDirectory, ResolvedDestination } from '../delivery/destinations';
import { postbackDestinationId, postbackIdOf, type PartnerPostback } from './model';

export interface NetworkDirectoryOptions {
  /** connectors/partner-postback. */
  connector: AnyConnector;
  /** The partner pool (createHttpClient with the gateway's guard): the SSRF check at connect time. */
  http: HttpClient;
  timeoutMs: number;
  maxAttempts: number;
  /** Network webhooks, already resolved against connectors/webhook (nwh-<id>-<event>). */
  webhooks: ReadonlyMap<string, ResolvedDestination>;
}

/**
 * The engine's view of partner postbacks: `pp-<id>` → connectors/partner-postback with the
 * postback's URL and method. Kept in memory (the engine looks destinations up synchronously),
 * updated on every write of this process and re-read every `network.refreshMs` for the others.
 */
export function createNetworkDirectory(options: NetworkDirectoryOptions) {
  const postbacks = new Map<number, PartnerPostback>();
  const resolved = new Map<number, ResolvedDestination>();
  let held: string[] = [];
  // The connector sends through the partner client; build/classify stay the connector's.
  const connector: AnyConnector = {
    ...options.connector,
    limits: { maxBatch: 1, timeoutMs: options.timeoutMs },
    send: (request, io) => options.http.send(request, { timeoutMs: io.timeoutMs }),
  };

  function recompute(): void {
    // Not active (inactive, deactivated, switched to html): its queued rows must not be claimed.
    // They were turned into `skipped` when it stopped; this closes the race with a claim in flight.
    held = [...postbacks.values()].filter((p) => p.status !== 'active' || p.deliveryMethod !== 'postback').map((p) => postbackDestinationId(p.id));
  }

  function resolve(p: PartnerPostback): ResolvedDestination | undefined {
    if (p.deliveryMethod !== 'postback' || !p.postbackUrl) return undefined;
    const settings = {
      url: p.postbackUrl,
      method: p.httpMethod,
      contentType: p.postContentType,
      ...(p.postBody !== null ? { body: p.postBody } : {}),
    };
    const config: DestinationConfig = {
      id: postbackDestinationId(p.id),
      connector: connector.id,
      enabled: p.status === 'active',
      settings,
      credentials: {},
      filters: {},
      acceptUnmatched: true,
      maxAttempts: options.maxAttempts,
    };
    // A partner's token lives in its URL (?token=…): redacted from attempts like a credential.
    return { config, connector, settings, credentials: {}, secrets: urlSecretValues(settings) };
  }

  const directory: DestinationDirectory = {
    get(id) {
      const web = options.webhooks.get(id);
      if (web) return web;
      const pid = postbackIdOf(id);
      if (pid === null) return undefined;
      const cached = resolved.get(pid);
      if (cached) return cached;
      const p = postbacks.get(pid);
      const r = p ? resolve(p) : undefined;
      if (r) resolved.set(pid, r);
      return r;
    },
    heldIds: () => held,
    maxBatch: () => 1,
  };

  return {
    directory,
    /** Replaces the whole cache (boot, periodic refresh). */
    load(list: readonly PartnerPostback[]): void {
      postbacks.clear();
      resolved.clear();
      for (const p of list) if (p.status !== 'deleted') postbacks.set(p.id, p);
      recompute();
    },
    upsert(p: PartnerPostback): void {
      resolved.delete(p.id);
      if (p.status === 'deleted') postbacks.delete(p.id);
      else postbacks.set(p.id, p);
      recompute();
    },
    postback: (id: number): PartnerPostback | undefined => postbacks.get(id),
    /** Every cached postback (HTML pixels are rendered from here). */
    all: (): PartnerPostback[] => [...postbacks.values()],
  };
}
export type NetworkDirectory = ReturnType<typeof createNetworkDirectory>;
