import { createRequire } from 'node:module';
import type * as KeyvRedisModule from '@keyv/redis';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import type { ClickRecord } from './click';

/** The ClickStore port: clicks by our click id, kept for the attribution window. */
export interface ClickStore {
  /** Resolves only once the click is stored; `ttlMs` overrides the window (replays of older clicks). */
  save(click: ClickRecord, ttlMs?: number): Promise<void>;
  /** undefined: no such click. A store that cannot answer rejects; it never pretends a miss. */
  get(clickId: string): Promise<ClickRecord | undefined>;
  /** Rejects unless the store answers a read now (readiness). */
  ping(): Promise<void>;
  /** Really deletes expired clicks (engines with native expiry return 0). */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}

export interface KeyvClickStoreOptions {
  store: KeyvStoreAdapter;
  ttlMs: number;
  /** Every operation settles within this time or rejects with ClickStoreTimeoutError. */
  timeoutMs?: number;
  purge?: () => Promise<number>;
  ping?: () => Promise<unknown>;
  close?: () => Promise<void>;
}

const requireFrom = createRequire(import.meta.url);

/** keyv's namespace for clicks: their keys are `click:<id>`. */
const NAMESPACE = 'click';

export class ClickStoreTimeoutError extends Error {
  override name = 'ClickStoreTimeoutError';
  readonly code = 'CLICK_STORE_TIMEOUT';
}

/** Rejects when `promise` has not settled within `ms` (the promise itself is left to settle). */
export function withDeadline<T>(promise: Promise<T>, ms: number | undefined, what: string): Promise<T> {
  if (!ms) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClickStoreTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createKeyvClickStore(options: KeyvClickStoreOptions): ClickStore {
  const keyv = new Keyv<ClickRecord>({
    store: options.store,
    namespace: NAMESPACE,
    ttl: options.ttlMs,
    // keyv and @keyv/redis swallow store errors by default: a failed set answers true (or false)
    // and a failed get answers undefined — a lost click and a postback recorded as unmatched
    // (https://github.com/jaredwray/keyv/tree/main/packages/keyv#throwonerrors). Make them throw.
    throwOnErrors: true,
    // A click record is plain JSON (strings, numbers, null). keyv's default serializer walks every
    // value with a reviver for Buffers and BigInts: 5 % of an intake request's CPU in the profile.
    serialize: (data) => JSON.stringify(data),
    deserialize: (text) => JSON.parse(text),
  });
  // Failures surface (and are counted) on the operation that hit them; keyv also emits them as
  // 'error' events, which would crash the process if nobody listened.
  keyv.on('error', () => {});
  const t = options.timeoutMs;
  return {
    save: async (click, ttlMs) => {
      const ok = await withDeadline(keyv.set(click.id, click, ttlMs ?? options.ttlMs), t, 'click store write');
      if (!ok) throw new Error('click store refused the write');
    },
    get: (id) => withDeadline(keyv.get(id), t, 'click store read'),
    ping: async () => {
      await withDeadline(options.ping ? options.ping() : keyv.get('__ping__'), t, 'click store ping');
    },
    purgeExpired: options.purge ?? (async () => 0),
    close: options.close ?? (() => keyv.disconnect()),
  };
}

/** A keyv store's answer to a set: false is a refusal (undefined is fine: some adapters answer nothing). */
const refused = (ok: unknown): void => {
  if (ok === false) throw new Error('click store refused the write');
};

/**
 * The click store on the ledger's own database (SQLite or Postgres `kv` table), straight over its
 * keyv storage adapter without the Keyv class: on the redirect and on every postback's click
 * lookup, keyv's hooks, stats and chain of awaits cost more than the row itself. It reads and
 * writes exactly what keyv 5 does — the key `click:<id>` (keyv's namespace prefix) and the JSON
 * `{"value":<click>,"expires":<ms>}` — so clicks stored before read back, and
 * createKeyvClickStore over the same adapter reads these (https://keyv.org/docs/keyv/).
 */
export function createLedgerClickStore(options: { store: KeyvStoreAdapter; ttlMs: number; purge: () => Promise<number> }): ClickStore {
  const { store } = options;
  const key = (id: string) => `${NAMESPACE}:${id}`;
  return {
    // A then, not an async function awaiting: one promise less on every click. Like an async
    // function, it never throws: a failure is a rejection.
    save: (click, ttlMs) => {
      try {
        const ttl = ttlMs ?? options.ttlMs;
        // keyv: a ttl of 0 means no expiry, and `expires` is then left out.
        const data = ttl > 0 ? { value: click, expires: Date.now() + ttl } : { value: click };
        return Promise.resolve(store.set(key(click.id), JSON.stringify(data), ttl > 0 ? ttl : undefined)).then(refused);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    get: async (id) => {
      const raw = (await store.get(key(id))) as unknown;
      if (raw === undefined || raw === null) return undefined;
      const data = JSON.parse(String(raw)) as { value: ClickRecord; expires?: number | null };
      // The row's expires_at already hides expired clicks; this is keyv's own check of the JSON.
      if (typeof data.expires === 'number' && data.expires < Date.now()) return undefined;
      return data.value;
    },
    ping: async () => {
      await store.get(key('__ping__'));
    },
    purgeExpired: options.purge,
    close: async () => {
      await store.disconnect?.();
    },
  };
}

/**
 * The Redis click store, bounded. node-redis by default queues commands while it is disconnected
 * and retries for ever, so during an outage every click and postback waited for the whole outage
 * (https://github.com/redis/node-redis/blob/master/docs/client-configuration.md). Here:
 * `disableOfflineQueue` rejects commands at once while disconnected, every command carries a
 * timeout, connects are bounded, and reconnects back off to at most a second and never give up.
 */
export function createRedisClickStore(url: string, options: { ttlMs: number; timeoutMs: number }): ClickStore {
  // Loaded here, not at start: the Redis client is ≈ 11 MB of RSS (measured in the soak) that a gateway on its embedded
  // click store does not need (bench/README.md "Memory"). A local name, not `require`, so esbuild
  // leaves the call alone and the package stays external (scripts/build.mjs).
  const { createClient, default: KeyvRedis } = requireFrom('@keyv/redis') as typeof KeyvRedisModule;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.timeoutMs },
    socket: {
      connectTimeout: Math.max(options.timeoutMs, 1_000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000),
    },
  });
  client.on('error', () => {}); // reported by the operations that fail (see the monitors in gateway.ts)
  // Connect now and in the background: KeyvRedis would otherwise await the first connect inside
  // the first request, unbounded while Redis is down at boot.
  client.connect().catch(() => {});
  const store = new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true });
  return createKeyvClickStore({
    store: store as unknown as KeyvStoreAdapter,
    ttlMs: options.ttlMs,
    timeoutMs: options.timeoutMs,
    // Readiness probes with a real read (GET of a key that does not exist), not PING: a Redis
    // that answers PING but refuses reads cannot match a postback.
    close: async () => {
      if (!client.isOpen) return;
      // quit() waits for Redis; a dead one must not hold the shutdown.
      await withDeadline(client.close(), options.timeoutMs, 'click store close').catch(() => {
        if (client.isOpen) client.destroy();
      });
    },
  });
}
