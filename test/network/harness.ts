import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGateway, type Gateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { dropTestSchema } from '../helpers/engine';
import { ADMIN_TOKEN, testConfig } from '../helpers/gateway';

/**
 * A clock tests move by hand that still runs in real time between moves, so millisecond
 * backoffs come due by themselves while `advance` jumps hours (the 72 h window, delay_ms).
 */
export function shiftClock(start = Date.UTC(2026, 10, 22, 12, 0, 0)) {
  const t0 = Date.now();
  let offset = 0;
  return {
    now: (): number => start + (Date.now() - t0) + offset,
    advance(ms: number): void {
      offset += ms;
    },
  };
}
export type ShiftClock = ReturnType<typeof shiftClock>;

export interface NetworkGatewayOptions {
  /** The `network:` config section. */
  network?: Record<string, unknown>;
  /** The `outbound:` section; testConfig opens 127.0.0.1 (the fakes). */
  outbound?: Record<string, unknown>;
  clock?: ShiftClock;
  /** Reuse a directory (restart tests); a new temp dir otherwise. */
  dir?: string;
  keepDir?: boolean;
}

/** The whole gateway on 127.0.0.1:0 with a temp SQLite file (or Postgres schema, test/helpers/engine.ts), fast retries, and captured log lines. */
export async function startNetworkGateway(options: NetworkGatewayOptions = {}) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'closeloop-net-'));
  const clock = options.clock ?? shiftClock();
  const config = testConfig(
    {
      // Backoff ~1 ms: the 5 retries of one failure happen at once; the clock moves the rest.
      delivery: { concurrency: 8, pollMs: 10, leaseMs: 5_000, maxAttempts: 3, backoff: { baseMs: 1, maxMs: 2 } },
      network: { timeoutMs: 1_000, ...options.network },
      ...(options.outbound ? { outbound: options.outbound } : {}),
    },
    join(dir, 'test.db'),
  );
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const gw: Gateway = openGateway({ config, logger, now: clock.now });
  const server = await gw.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* HTML or text */
    }
    return { status: res.status, body: parsed };
  }

  /** Asserts a 2xx and returns the body. */
  async function ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await api(method, path, body);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  return {
    url,
    gw,
    clock,
    logs,
    dir,
    config,
    api,
    ok,
    offer: (fields: Record<string, unknown> = {}) => ok('POST', '/v1/network/offers', { name: 'Offer', payout_amount: '12.5', ...fields }),
    partner: (fields: Record<string, unknown> = {}) => ok('POST', '/v1/network/partners', { name: 'Partner', ...fields }),
    postback: (fields: Record<string, unknown>) => ok('POST', '/v1/network/postbacks', fields),
    click: (fields: Record<string, unknown>) => ok('POST', '/v1/network/clicks', fields),
    convert: (fields: Record<string, unknown>) => ok('POST', '/v1/network/conversions', fields),
    /** Polls until `check` returns a value (not undefined/false). */
    async until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 8_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await check();
        if (v !== undefined && v !== false) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 15));
      }
    },
    /** The conversion's deliveries once every one of them has left `pending`. */
    async settled(conversionId: string): Promise<Array<{ id: string; destination: string; status: string }>> {
      return this.until(async () => {
        const c = await ok('GET', `/v1/network/conversions/${conversionId}`);
        return c.deliveries.length > 0 && c.deliveries.every((d: { status: string }) => d.status !== 'pending') ? c.deliveries : undefined;
      }, `deliveries of ${conversionId} to settle`);
    },
    async close(): Promise<void> {
      await gw.close();
      if (options.keepDir) return;
      rmSync(dir, { recursive: true, force: true });
      await dropTestSchema(config.storage.engine === 'postgres' ? config.storage.postgres.schema : undefined);
    },
  };
}
export type NetworkGateway = Awaited<ReturnType<typeof startNetworkGateway>>;

/** One offer, one partner, and a click on them: the usual start of a test. */
export async function seedClick(g: NetworkGateway, click: Record<string, unknown> = {}) {
  const offer = await g.offer();
  const partner = await g.partner();
  const c = await g.click({ offer_id: offer.id, partner_id: partner.id, ...click });
  return { offer, partner, transactionId: c.transaction_id as string };
}
