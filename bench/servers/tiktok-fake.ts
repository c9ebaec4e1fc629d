import type { Server } from 'node:http';
import { startTiktokFake } from '../../test/fakes/tiktok';
import { serveBench } from '../lib/child-side';

/**
 * The TikTok fake (test/fakes/tiktok.ts) as a bench child on the other core, as a real platform
 * would be: its validation of every event is then not counted as the gateway's CPU
 * (bench/scenarios/batching.ts, `BENCH_BATCHING_FAKE=child`). Env: FAKE_TOKEN, FAKE_PIXEL,
 * FAKE_LATENCY_MS. Counters: requests, events accepted, distinct event ids accepted.
 */
const env = process.env;
const fake = await startTiktokFake({ accessToken: env.FAKE_TOKEN ?? '', pixelCode: env.FAKE_PIXEL ?? '', latencyMs: Number(env.FAKE_LATENCY_MS ?? 0) });
const port = Number(new URL(fake.url).port);
// serveBench needs only these of a node:http Server; the fake owns its own.
const handle = {
  listening: true,
  address: () => ({ port }),
  closeAllConnections: () => undefined,
  close: (done: () => void) => void fake.close().then(done, done),
};
serveBench(handle as unknown as Server, {
  counters: () => ({ requests: fake.requests.length, accepted: fake.accepted.length }),
  gauges: () => ({ unique: new Set(fake.accepted.map((e) => e.event_id)).size, rejections: fake.rejections.slice(-3).join(' | ') }),
});
