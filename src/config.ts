import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PLATFORMS } from './clicks/click';
import { CONVERSION_STATUSES } from './conversions/conversion';
import { allowEntryProblem } from './connector-kit/outbound-guard';
import { issueLine, unknownKeyLine } from './config-errors';
import { walkConfig } from './config-walk';
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
  /** Consent signals (src/conversions/consent.ts): granted/denied, 1/0, true/false; an empty value is "not said". */
  consentAdUserData: z.string().default('consent_ad_user_data'),
  consentAdPersonalization: z.string().default('consent_ad_personalization'),
  /** 1/0, true/false: the visitor opted out under a US state privacy law (Meta, TikTok, Reddit "limited data use"). */
  limitedDataUse: z.string().default('limited_data_use'),
});

const names = z.array(z.string().min(1).max(64)).optional();
const personalFieldsSchema = z.object({ email: names, phone: names, ip: names, firstName: names, lastName: names, externalId: names });

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
   * conversion forwarded to an ad platform and then rejected by the network can be taken back only
   * where the platform has corrections (Google Ads, with `retractions: true`); Meta, TikTok and
   * Reddit keep counting it. It is forwarded when its approval arrives.
   */
  forwardStatuses: z.array(z.enum(CONVERSION_STATUSES)).default(['approved']),
  defaultCurrency: z.string().length(3).default('USD'),
  /**
   * Parameter names that carry personal data, added to the defaults (src/privacy/identifiers.ts:
   * email/em/e_mail…, phone/ph/tel…, ip/user_ip…, first_name/fn, last_name/ln, external_id).
   * They are hashed at intake and never stored raw.
   */
  personalFields: personalFieldsSchema.prefault({}),
  /** Country calling code for phones this network sends without one (e.g. '1', '+44'); without it such phones are dropped. */
  phoneCountryCode: z
    .string()
    .regex(/^\+?[1-9]\d{0,3}$/, "a country calling code such as '1' or '+44'")
    .optional(),
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
  /**
   * Correct the conversion at the platform when the network reverses it after delivery (a later
   * reject → retraction, another payout → restatement), where the connector can (google-ads).
   * Off (the default): the conversion only gets a warning saying to correct it there by hand.
   */
  retractions: z.boolean().optional(),
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
      /** Base URL users reach us at; used for printed links. */
      publicUrl: httpUrl.optional(),
      /** Peers whose X-Forwarded-For is believed (IPs or CIDRs). */
      trustedProxies: z.array(z.string()).default([]),
      /** CORS origins allowed to call POST /v1/clicks. */
      corsOrigins: z.array(z.string()).default([]),
      /**
       * A request (headers and body) not fully received within this time is cut with 408, so a
       * client trickling a body cannot hold a socket for Node's default 300 s
       * (nodejs.org/api/http.html#serverrequesttimeout).
       */
      requestTimeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
      /** The same for the request headers alone (nodejs.org/api/http.html#serverheaderstimeout); at most requestTimeoutMs. */
      headersTimeoutMs: z.number().int().min(1000).max(600_000).default(10_000),
      /** SIGTERM: drain for at most this long, then close what is left and exit, whatever hangs. */
      shutdownTimeoutMs: z.number().int().min(1_000).max(600_000).default(10_000),
    })
    .refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, { message: 'must not exceed requestTimeoutMs', path: ['headersTimeoutMs'] })
    .prefault({}),
  admin: z.object({
    token: z.string().min(16, 'the admin token needs at least 16 characters'),
    /** Bearer token for GET /metrics only, so a Prometheus scraper never holds the admin token. */
    metricsToken: z.string().min(16, 'the metrics token needs at least 16 characters').optional(),
  }),
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
          url: z
            .string()
            .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
            .default('postgres://postgres@127.0.0.1:5432/closeloop'),
          /** Connections per process; up to `commitsInFlight` of them carry group commits, the rest serve reads. */
          poolSize: z.number().int().min(2).max(100).default(10),
          /** Server-side limit per statement (https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT). */
          statementTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
          /** Group-commit transactions in flight at once, each on a connection of its own (at most poolSize - 1). */
          commitsInFlight: z.number().int().min(1).max(16).default(2),
          /** A schema of its own (created if missing); default: the server's search_path. */
          schema: z
            .string()
            .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
            .optional(),
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
      /** Every click-store command answers or fails within this time (a redis:// store's outage costs no more). */
      clickStoreTimeoutMs: z.number().int().min(10).max(10_000).default(500),
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
  /** Every outbound request: destinations, partner postbacks, webhooks (src/connector-kit/outbound-guard.ts). */
  outbound: z
    .object({
      /**
       * CIDRs, addresses or host names outbound requests may reach although they are loopback,
       * private or link-local (refused by default). Metadata addresses stay refused regardless.
       */
      allowPrivateTargets: z
        .array(
          z.string().superRefine((entry, ctx) => {
            const problem = allowEntryProblem(entry);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
        )
        .default([]),
    })
    .prefault({}),
  /** The network side: partner postbacks, deactivation, webhooks (src/network/config-schema.ts). */
  network: networkConfigSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
export type DestinationFilters = z.infer<typeof filtersSchema>;

/** A config that cannot run; `problems` holds one `path: problem — fix` line each (main.ts prints them). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/**
 * `${NAME}` and `${NAME:-default}` anywhere in a string value. Paths of substituted strings go
 * into `fromEnv`, so a number or boolean read from the environment can be coerced (config-walk.ts).
 */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, fromEnv: Set<string>, problems: string[], path: string[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    fromEnv.add(path.join('.'));
    return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push(`${path.join('.') || '(root)'}: environment variable ${name} is not set — set it, or give a default with \${${name}:-value}`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, fromEnv, problems, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, fromEnv, problems, [...path, k])]));
  }
  return value;
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): Config {
  const problems: string[] = [];
  const fromEnv = new Set<string>();
  const interpolated = interpolate(raw, env, fromEnv, problems);
  const walked = walkConfig(configSchema, interpolated, fromEnv);
  problems.push(...walked.unknown.map(unknownKeyLine));
  const result = configSchema.safeParse(walked.value);
  // A missing variable is already named; zod's complaint about the empty text it left is noise.
  const envProblemPaths = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
  if (!result.success) {
    for (const i of result.error.issues) if (!envProblemPaths.has(i.path.join('.') || '(root)')) problems.push(issueLine(i, walked.value));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(`invalid configuration:\n${problems.map((l) => `  ${l}`).join('\n')}`, problems);
  const config = result.data;
  assertUnique(
    config.links.map((l) => l.id),
    'links',
  );
  assertUnique(
    config.sources.map((s) => s.id),
    'sources',
  );
  assertUnique(
    config.destinations.map((d) => d.id),
    'destinations',
  );
  return config;
}

function assertUnique(ids: string[], what: string): void {
  const seen = new Set<string>();
  for (const i of ids) {
    if (seen.has(i)) {
      const line = `${what}: id "${i}" is defined twice — give each entry its own id`;
      throw new ConfigError(`invalid configuration:\n  ${line}`, [line]);
    }
    seen.add(i);
  }
}

/** Reads CLOSELOOP_CONFIG (default ./closeloop.yaml, then the example) and env overrides. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; path: string } {
  const path = env.CLOSELOOP_CONFIG ?? 'closeloop.example.yaml';
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    const line = `${path}: ${(err as Error).message.split('\n')[0]} — ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'point CLOSELOOP_CONFIG at your config file' : 'fix the YAML'}`;
    throw new ConfigError(`invalid configuration:\n  ${line}`, [line]);
  }
  const config = parseConfig(raw ?? {}, env);
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      const line = 'PORT: must be a port number 0–65535 — fix the PORT environment variable';
      throw new ConfigError(`invalid configuration:\n  ${line}`, [line]);
    }
    config.server.port = port;
  }
  if (env.CLOSELOOP_DB) config.storage.sqlitePath = env.CLOSELOOP_DB;
  if (env.CLOSELOOP_POSTGRES_URL) config.storage.postgres.url = env.CLOSELOOP_POSTGRES_URL;
  return { config, path };
}
