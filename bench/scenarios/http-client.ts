import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import axios from 'axios';
import { Agent, request } from 'undici';
import { createHttpClient } from '../../src/connector-kit/http-client';
import { createOutboundGuard } from '../../src/connector-kit/outbound-guard';
import { startServer, type ChildServer } from '../lib/child';
import { fmtMs, fmtPct, fmtRps, fmtUs, table } from '../lib/format';
import { median, percentile } from '../lib/load';
import { interleave, med } from '../lib/rounds';
import { progress, settings } from '../lib/settings';

/**
 * Outbound JSON POSTs to a keep-alive node:http sink (a child process on the other core), 50 in
 * flight, from THIS process: what each client costs the delivery engine. Ratios against bare
 * node:http with a keep-alive Agent. The CPU column is this process's CPU time per request, which
 * is what the engine pays per delivery attempt.
 */
const IN_FLIGHT = settings.connections;
const DURATION_S = Number(process.env.BENCH_CLIENT_DURATION ?? 5);
const WARMUP_S = 1;
const BODY = JSON.stringify({
  data: [
    {
      event_name: 'Purchase',
      event_time: 1768478400,
      event_id: '3f9a0c2e7b1d4e5f8a6b9c0d1e2f3a4b',
      action_source: 'website',
      user_data: {
        fbc: 'fb.1.1768474800000.IwAR-bench-fbclid',
        fbp: 'fb.1.1700000000000.123',
        client_ip_address: '203.0.113.7',
        client_user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
      },
      custom_data: { currency: 'USD', value: 12.5, order_id: 'tx-9f8e' },
    },
  ],
});

interface Client {
  send: () => Promise<number>;
  close: () => Promise<void>;
}

/**
 * `BENCH_CLIENT_BEFORE=DIR` (a before tree with its node_modules): a row for that tree's
 * createHttpClient beside ours, interleaved in the same run. `BENCH_CLIENT_ONLY=a,b`: only the rows
 * whose label contains one of these (the node:http row always runs: it is the baseline).
 */
const BEFORE = process.env.BENCH_CLIENT_BEFORE;
const ONLY = (process.env.BENCH_CLIENT_ONLY ?? '').split(',').filter(Boolean);
const beforeKit = BEFORE ? ((await import(pathToFileURL(`${BEFORE}/src/connector-kit/index.ts`).href)) as { createHttpClient: typeof createHttpClient }) : null;
const beforeGuard = BEFORE
  ? ((await import(pathToFileURL(`${BEFORE}/src/connector-kit/outbound-guard.ts`).href)) as { createOutboundGuard: typeof createOutboundGuard })
  : null;

const clients: Record<string, (url: string) => Client> = {
  'node:http + keep-alive Agent': (url) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const { hostname, port, pathname } = new URL(url);
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)) };
    return {
      send: () =>
        new Promise<number>((resolve, reject) => {
          const req = http.request({ hostname, port, path: pathname, method: 'POST', agent, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              Buffer.concat(chunks).toString('utf8');
              resolve(res.statusCode ?? 0);
            });
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end(BODY);
        }),
      close: async () => agent.destroy(),
    };
  },
  'undici.request': (url) => {
    const dispatcher = new Agent();
    return {
      send: async () => {
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, dispatcher });
        await res.body.text();
        return res.statusCode;
      },
      close: () => dispatcher.close(),
    };
  },
  'createHttpClient() (ours, undici)': (url) => {
    const client = createHttpClient({ guard: createOutboundGuard(['127.0.0.1']) });
    return {
      send: async () => (await client.send({ method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body: BODY }, { timeoutMs: 10_000 })).status,
      close: () => client.close(),
    };
  },
  ...(beforeKit && beforeGuard
    ? {
        'createHttpClient(), before tree': (url: string): Client => {
          const client = beforeKit.createHttpClient({ guard: beforeGuard.createOutboundGuard(['127.0.0.1']) });
          return {
            send: async () =>
              (await client.send({ method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body: BODY }, { timeoutMs: 10_000 })).status,
            close: () => client.close(),
          };
        },
      }
    : {}),
  'axios + keep-alive Agent': (url) => {
    const httpAgent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const instance = axios.create({ httpAgent, responseType: 'text', validateStatus: () => true });
    return {
      send: async () => (await instance.post(url, BODY, { headers: { 'content-type': 'application/json' } })).status,
      close: async () => httpAgent.destroy(),
    };
  },
};

interface ClientRun {
  rps: number;
  p99: number;
  cpuUsPerReq: number;
  bad: number;
}

/** IN_FLIGHT loops, each awaiting one request at a time, for `seconds`. */
async function drive(client: Client, seconds: number): Promise<ClientRun> {
  const latencies: number[] = [];
  let bad = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          const status = await client.send();
          if (status === 200) latencies.push(performance.now() - started);
          else bad++;
        } catch {
          bad++;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / wall, p99: percentile(latencies, 99), cpuUsPerReq: (cpu.user + cpu.system) / latencies.length, bad };
}

async function once(sink: ChildServer, make: (url: string) => Client): Promise<ClientRun> {
  const client = make(`${sink.url}/collect`);
  try {
    await drive(client, WARMUP_S);
    return await drive(client, DURATION_S);
  } finally {
    await client.close();
  }
}

const chosen = Object.entries(clients).filter(([label], i) => i === 0 || ONLY.length === 0 || ONLY.some((o) => label.includes(o)));

export async function run(): Promise<{ name: string; lines: string[] }> {
  const sink = await startServer(new URL('../servers/sink.ts', import.meta.url), { label: 'sink' });
  let runs: Map<string, ClientRun[]>;
  try {
    runs = await interleave(chosen.map(([label, make]) => ({ label, once: () => once(sink, make) })));
  } finally {
    await sink.stop();
  }
  const labels = chosen.map(([label]) => label);
  const base = runs.get(labels[0] as string) as ClientRun[];
  const baseRps = med(base, (r) => r.rps);
  const baseCpu = med(base, (r) => r.cpuUsPerReq);
  progress('http-client done');
  return {
    name: 'http-client: outbound JSON POST, keep-alive, 50 in flight (client side)',
    lines: [
      `${IN_FLIGHT} requests in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per run, ${settings.rounds} interleaved rounds, medians. ` +
        `${Buffer.byteLength(BODY)}-byte JSON body to a node:http keep-alive sink in a child process${settings.pin ? ` on cpu ${settings.serverCpu} (clients on cpu ${settings.loadCpu})` : ''}.`,
      '',
      ...table(
        ['client', 'req/s', 'p99 ms', 'client CPU µs/req', 'req/s per round', 'bad', 'req/s ratio', 'CPU/req vs node:http'],
        labels.map((label) => {
          const rs = runs.get(label) as ClientRun[];
          return [
            label,
            fmtRps(med(rs, (r) => r.rps)),
            fmtMs(med(rs, (r) => r.p99)),
            fmtUs(med(rs, (r) => r.cpuUsPerReq)),
            rs.map((r) => fmtRps(r.rps)).join(' / '),
            rs.reduce((s, r) => s + r.bad, 0),
            fmtPct(med(rs, (r) => r.rps) / baseRps),
            `${(median(rs.map((r) => r.cpuUsPerReq)) / baseCpu).toFixed(2)}×`,
          ];
        }),
      ),
    ],
  };
}
