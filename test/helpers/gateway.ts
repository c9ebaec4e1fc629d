import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseConfig, type Config } from '../../src/config';
import { openGateway, type Gateway, type GatewayOptions } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { q } from '../../src/store/sql-steps';
import { dropTestSchema, testStorage } from './engine';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const SOURCE_SECRET = 'test-source-secret-0123456789';
export const DIRECT_SECRET = 'test-direct-secret-0123456789';
export const OFFER_URL = 'https://offer.example.com/lp?aff_id=7&name=a%20b';

/**
 * A config for tests: one link, a tracked and a direct source, fast retries; `overrides` wins.
 * Storage: SQLite at `dbPath`, or with CLOSELOOP_TEST_ENGINE=postgres a Postgres schema of its own (./engine.ts).
 */
export function testConfig(overrides: Record<string, unknown> = {}, dbPath = ':memory:'): Config {
  return parseConfig({
    admin: { token: ADMIN_TOKEN },
    storage: testStorage(dbPath),
    server: { port: 0, host: '127.0.0.1', corsOrigins: ['https://landing.example.com'] },
    delivery: { concurrency: 8, pollMs: 20, leaseMs: 5_000, maxAttempts: 3, backoff: { baseMs: 10, maxMs: 50 } },
    log: { level: 'silent' },
    links: [{ id: 'demo', offerUrl: OFFER_URL }],
    sources: [
      { id: 'net', secret: SOURCE_SECRET },
      { id: 'direct', secret: DIRECT_SECRET, mode: 'direct', platform: 'google' },
    ],
    destinations: [],
    // The fakes listen on 127.0.0.1: opened explicitly, so the production default stays strict.
    outbound: { allowPrivateTargets: ['127.0.0.1'] },
    ...overrides,
  });
}

export interface TestGateway {
  url: string;
  gw: Gateway;
  config: Config;
  /** GET/POST JSON with the admin token. */
  admin(path: string, init?: RequestInit): Promise<{ status: number; body: any }>;
  /** Follows GET /c/:link and returns our click id from the Location's sub5. */
  click(link: string, query?: Record<string, string>, headers?: Record<string, string>): Promise<string>;
  /** GET /postback with the tracked source's key unless `key` is given. */
  postback(params: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts the whole gateway (storage, engine, HTTP) on 127.0.0.1:0 with a temp SQLite file. */
export async function startTestGateway(
  options: { config?: Config; configOverrides?: Record<string, unknown> } & Omit<GatewayOptions, 'config' | 'logger'> = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'closeloop-test-'));
  const config = options.config ?? testConfig(options.configOverrides, join(dir, 'test.db'));
  const { config: _c, configOverrides: _o, ...rest } = options;
  const gw = openGateway({ config, logger: createLogger('silent'), ...rest });
  const server = await gw.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    gw,
    config,
    async admin(path, init = {}) {
      const res = await fetch(url + path, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async click(link, query = {}, headers = {}) {
      const res = await fetch(`${url}/c/${link}?${new URLSearchParams(query)}`, { redirect: 'manual', headers });
      if (res.status !== 302) throw new Error(`click answered ${res.status}: ${await res.text()}`);
      const location = new URL(res.headers.get('location') as string);
      return location.searchParams.get('sub5') as string;
    },
    async postback(params) {
      const res = await fetch(`${url}/postback?${new URLSearchParams({ key: SOURCE_SECRET, ...params })}`);
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
      await dropTestSchema(config.storage.engine === 'postgres' ? config.storage.postgres.schema : undefined);
    },
  };
}

/** One row of a query against the gateway's own database, whichever the engine. */
export function queryOne(gw: Gateway, sql: string, ...params: unknown[]): Promise<Record<string, unknown> | undefined> {
  return gw.storage.runner.read(function* () {
    return yield* q.get(sql, ...params);
  });
}

/** Every row of a query against the gateway's own database, whichever the engine. */
export function queryAll(gw: Gateway, sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
  return gw.storage.runner.read(function* () {
    return yield* q.all(sql, ...params);
  });
}

/** A write statement on the gateway's own database (through its group commit), whichever the engine. */
export function execute(gw: Gateway, sql: string, ...params: unknown[]): Promise<{ changes: number }> {
  return gw.storage.runner.write(function* () {
    return yield* q.run(sql, ...params);
  });
}

/** Polls GET /v1/conversions/:id until every delivery has `status`; returns the conversion detail. */
export async function waitForDeliveries(g: TestGateway, conversionId: string, status: string, timeoutMs = 5000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await g.admin(`/v1/conversions/${conversionId}`);
    if (body.deliveries.length > 0 && body.deliveries.every((d: { status: string }) => d.status === status)) return body;
    if (Date.now() > deadline) throw new Error(`deliveries not ${status}: ${JSON.stringify(body.deliveries)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}
