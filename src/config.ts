import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PLATFORMS } from './clicks/click';
import { CONVERSION_STATUSES } from './conversions/conversion';
import { networkConfigSchema } from './network/config-schema';

/**
 * One zod schema for the whole configuration: a YAML file with `${ENV}` references, plus a few
 * environment overrides. This module is the only reader of process.env.
 */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1–64 letters, digits, _ . -');

const linkSchema = z.object({
  id,
  offerUrl: httpUrl,
  description: z.string().optional(),
});

const sourceParamsSchema = z.object({
  clickId: z.string().default('click_id'),
  transactionId: z.string().default('tx_id'),
  payout: z.string().default('payout'),
  offerId: z.string().default('offer_id'),
  currency: z.string().default('currency'),
  event: z.string().default('event'),
  status: z.string().default('status'),
  platform: z.string().default('platform'),
  key: z.string().default('key'),
});

const sourceSchema = z.object({
  id,
  /** Shared secret the network sends as the `key` parameter. */
  secret: z.string().min(16, 'a source secret needs at least 16 characters'),
  /** IPs or CIDR ranges allowed to post; empty = any. */
  allowIps: z.array(z.string()).default([]),
  /**
   * tracked: click_id is our click id (sub5 from our redirect).
   * direct: click_id is the platform's own click id (gclid/fbclid/… put straight into sub5).
   */
  mode: z.enum(['tracked', 'direct']).default('tracked'),
  /** In direct mode, the platform when the postback does not name one with `platform=`. */
  platform: z.enum(PLATFORMS).optional(),
  params: sourceParamsSchema.default(sourceParamsSchema.parse({})),
  /**
   * Statuses that are forwarded; others are recorded only. Default: approved only — a pending
   * conversion forwarded to an ad platform cannot be taken back if the network rejects it; it is
   * forwarded when its approval arrives.
   */
  forwardStatuses: z.array(z.enum(CONVERSION_STATUSES)).default(['approved']),
  defaultCurrency: z.string().length(3).default('USD'),
});

const filtersSchema = z.object({
  sources: z.array(z.string()).optional(),
  platforms: z.array(z.enum(PLATFORMS)).optional(),
  links: z.array(z.string()).optional(),
  offers: z.array(z.string()).optional(),
  events: z.array(z.string()).optional(),
  statuses: z.array(z.enum(CONVERSION_STATUSES)).optional(),
});

const destinationSchema = z.object({
  id,
  connector: z.string(),
  enabled: z.boolean().default(true),
  settings: z.record(z.string(), z.unknown()).default({}),
  credentials: z.record(z.string(), z.unknown()).default({}),
  filters: filtersSchema.default({}),
  /** Also receive conversions whose click id matched no stored click. */
  acceptUnmatched: z.boolean().default(false),
  maxAttempts: z.number().int().min(1).max(100).optional(),
});

const backoffSchema = z.object({
  baseMs: z.number().int().min(1).default(2_000),
  maxMs: z.number().int().min(1).default(3_600_000),
});

export const configSchema = z.object({
  server: z
    .object({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Base URL users reach us at; used for printed links and landing URLs. */
      publicUrl: httpUrl.optional(),
      /** Peers whose X-Forwarded-For is believed (IPs or CIDRs). */
      trustedProxies: z.array(z.string()).default([]),
      /** CORS origins allowed to call POST /v1/clicks. */
      corsOrigins: z.array(z.string()).default([]),
    })
    .default({ host: '0.0.0.0', port: 8080, trustedProxies: [], corsOrigins: [] }),
  admin: z.object({ token: z.string().min(16, 'the admin token needs at least 16 characters') }),
  storage: z
    .object({
      /**
       * sqlite: the embedded file (default, one process). postgres: the shared ledger that any
       * number of gateway processes use at once (src/store/postgres/).
       */
      engine: z.enum(['sqlite', 'postgres']).default('sqlite'),
      sqlitePath: z.string().default('./data/closeloop.db'),
      /**
       * FULL: no write is acknowledged before its WAL is fsynced (one fdatasync per group commit,
       * off the event loop). NORMAL: safe against a crashed process, not against a lost machine.
       */
      synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
      postgres: z
        .object({
          url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/closeloop'),
          /** Connections per process; one of them carries the group commit. */
          poolSize: z.number().int().min(2).max(100).default(10),
          /** Server-side limit per statement (https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT). */
          statementTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
          /** A schema of its own (created if missing); default: the server's search_path. */
          schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier').optional(),
        })
        .prefault({}),
      /**
       * Attempts, exchanges and rejections older than `days` are deleted in chunks every
       * `intervalMs` (both engines; conversions and deliveries are kept). null: keep everything.
       */
      retention: z
        .object({
          days: z.number().positive().max(3650).nullable().default(90),
          intervalMs: z.number().int().min(1000).default(3_600_000),
          chunkSize: z.number().int().min(10).max(100_000).default(5_000),
        })
        .prefault({}),
      /** Click store: the ledger's own database when unset ('sqlite' or 'postgres' name it), or a redis:// URL. */
      clickStore: z.string().optional(),
    })
    .superRefine((s, ctx) => {
      if ((s.clickStore === 'sqlite' || s.clickStore === 'postgres') && s.clickStore !== s.engine) {
        ctx.addIssue({ code: 'custom', path: ['clickStore'], message: `clickStore '${s.clickStore}' needs storage.engine: ${s.clickStore}` });
      }
    })
    .prefault({}),
  clicks: z
    .object({
      attributionWindowDays: z.number().positive().max(400).default(30),
      purgeIntervalMs: z.number().int().min(1000).default(60_000),
      /** Where unknown link ids go; without it they get a 404. */
      fallbackUrl: httpUrl.optional(),
    })
    .default({ attributionWindowDays: 30, purgeIntervalMs: 60_000 }),
  delivery: z
    .object({
      concurrency: z.number().int().min(1).max(512).default(32),
      pollMs: z.number().int().min(10).default(250),
      leaseMs: z.number().int().min(1000).default(60_000),
      maxAttempts: z.number().int().min(1).max(100).default(10),
      backoff: backoffSchema.default({ baseMs: 2_000, maxMs: 3_600_000 }),
    })
    .default({ concurrency: 32, pollMs: 250, leaseMs: 60_000, maxAttempts: 10, backoff: { baseMs: 2_000, maxMs: 3_600_000 } }),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
  links: z.array(linkSchema).default([]),
  sources: z.array(sourceSchema).default([]),
  destinations: z.array(destinationSchema).default([]),
  /** The network side: partner postbacks, deactivation, webhooks (src/network/config-schema.ts). */
  network: networkConfigSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
export type DestinationFilters = z.infer<typeof filtersSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `${NAME}` and `${NAME:-default}` anywhere in a string value. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`environment variable ${name} is referenced by the config but not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  }
  return value;
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): Config {
  const result = configSchema.safeParse(interpolate(raw, env));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  assertUnique(config.links.map((l) => l.id), 'link');
  assertUnique(config.sources.map((s) => s.id), 'source');
  assertUnique(config.destinations.map((d) => d.id), 'destination');
  return config;
}

function assertUnique(ids: string[], what: string): void {
  const seen = new Set<string>();
  for (const i of ids) {
    if (seen.has(i)) throw new ConfigError(`${what} id "${i}" is defined twice`);
    seen.add(i);
  }
}

/** Reads CLOSELOOP_CONFIG (default ./closeloop.yaml, then the example) and env overrides. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; path: string } {
  const path = env.CLOSELOOP_CONFIG ?? 'closeloop.example.yaml';
  const raw = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const config = parseConfig(raw, env);
  if (env.PORT) config.server.port = Number(env.PORT);
  if (env.CLOSELOOP_DB) config.storage.sqlitePath = env.CLOSELOOP_DB;
  if (env.CLOSELOOP_POSTGRES_URL) config.storage.postgres.url = env.CLOSELOOP_POSTGRES_URL;
  return { config, path };
}
