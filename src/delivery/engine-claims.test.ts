import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { conversionFixture } from '../../connectors/_shared/test-fixtures';
import { defineConnector } from '../connector-kit/define';
import { createLogger } from '../logger';
import type { ClaimedDelivery, DeliveryRow, Ledger } from '../store/ledger';
import type { DestinationDirectory, ResolvedDestination } from './destinations';
import { createDeliveryEngine } from './engine';

const oneByOne = defineConnector({
  id: 'one-by-one',
  displayName: 'one per request',
  apiVersion: 'n/a',
  settings: z.object({}),
  credentials: z.object({}),
  limits: { maxBatch: 1, timeoutMs: 1000 },
  build: () => ({ method: 'GET', url: 'http://127.0.0.1:9/pb', headers: {} }),
  classify: () => ({ ok: true }),
});

const batches = defineConnector({ ...oneByOne, id: 'batches', limits: { maxBatch: 50, timeoutMs: 1000 } });

/** N due rows of one destination through the engine (its ledger a stub): each claim's limit, the rows given back. */
async function drain(connector: typeof oneByOne, N: number, concurrency: number): Promise<{ limits: number[]; released: number }> {
  let left = N;
  let seq = 0;
  const limits: number[] = [];
  let released = 0;
  let done = 0;
  const conversion = conversionFixture();
  const row = (): ClaimedDelivery => {
    const id = `d${seq++}`;
    const delivery = { id, destinationId: 'pp', dedupKey: id, attempts: 0, maxAttempts: 3 } as DeliveryRow;
    return { delivery, conversion };
  };
  const ledger = {
    claimDue: async ({ limit }: { limit: number }) => {
      limits.push(limit);
      const n = Math.min(limit, left);
      left -= n;
      return Array.from({ length: n }, row);
    },
    release: async (ids: string[]) => {
      released += ids.length;
      left += ids.length;
    },
    completeAttempts: async (results: unknown[]) => {
      done += results.length;
    },
  } as unknown as Ledger;
  const dest = { config: { id: 'pp', enabled: true }, connector, settings: {}, credentials: {}, secrets: [] } as unknown as ResolvedDestination;
  // The directory also holds a connector of batches of 50 (TikTok): the largest batch is 50.
  const destinations: DestinationDirectory = { get: (id) => (id === 'pp' ? dest : undefined), heldIds: () => [], maxBatch: () => 50 };
  const engine = createDeliveryEngine({
    ledger,
    destinations,
    http: { send: async () => ({ status: 200, headers: {}, body: '', durationMs: 0 }), close: async () => undefined },
    now: Date.now,
    logger: createLogger('silent'),
    options: { concurrency, pollMs: 5, leaseMs: 60_000, backoff: { baseMs: 1000, maxMs: 60_000 } },
  });
  engine.start();
  while (done < N) await new Promise((r) => setTimeout(r, 2));
  await engine.stop();
  assert.equal(done, N);
  return { limits, released };
}

test('claims beside a batching destination ask for what the free slots send, not 50 rows a slot given back', async () => {
  const concurrency = 8;
  const N = 600;
  const { limits, released } = await drain(oneByOne, N, concurrency);
  // The first claim knows nothing yet (the largest batch per slot); after it, claims follow the rows.
  assert.ok(
    limits.slice(1).every((l) => l <= 4 * concurrency),
    `limits ${limits.join(',')}`,
  );
  assert.ok(released < N, `released ${released} rows for ${N} deliveries (limits ${limits.slice(0, 10).join(',')}…)`);
});

test('claims over rows that fill batches still ask for full batches per free slot', async () => {
  const { limits, released } = await drain(batches, 5000, 8);
  // At least one free round of slots (8) per claim, 50 rows each.
  assert.ok(
    limits.every((l) => l >= 8 * 50),
    `limits ${limits.join(',')}`,
  );
  assert.equal(released, 0);
});
