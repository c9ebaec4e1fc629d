import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * What the fuzzer (bench/fuzz.ts) fires at: the production entry point (`src/main.ts`, as
 * `npm start` runs it) in a child process, on a fresh SQLite file with a realistic config — a link,
 * a tracked and a direct source, an http-postback destination at a local fake destination
 * (127.0.0.1, opened with `outbound.allowPrivateTargets`). The child's log is kept: lines at
 * level error (50) or fatal (60) are counted.
 */

export const FUZZ_ADMIN_TOKEN = 'fuzz-admin-token-0123456789';
export const FUZZ_SECRETS = { net: 'fuzz-source-secret-0123456789', direct: 'fuzz-direct-secret-0123456789' };

export interface FuzzTarget {
  base: string;
  proc: ChildProcess;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<void>;
  destinationRequests: () => number;
  errorLines: () => string[];
  tail: () => string;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startFuzzTarget(root: string): Promise<FuzzTarget> {
  let delivered = 0;
  const fake = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'closeloop-fuzz-'));
  const config = {
    server: { host: '127.0.0.1', port: 0, corsOrigins: ['https://landing.example.com'] }, // PORT env wins
    admin: { token: FUZZ_ADMIN_TOKEN },
    storage: { sqlitePath: join(dir, 'closeloop.db'), clickStore: 'sqlite' },
    delivery: { concurrency: 8, pollMs: 100, maxAttempts: 3, backoff: { baseMs: 100, maxMs: 1_000 } },
    log: { level: 'warn' },
    links: [{ id: 'demo', offerUrl: 'https://offer.example.com/lp?aff_id=7&offer_id=42' }],
    sources: [
      { id: 'net', secret: FUZZ_SECRETS.net, mode: 'tracked' },
      { id: 'direct', secret: FUZZ_SECRETS.direct, mode: 'direct', platform: 'google' },
    ],
    outbound: { allowPrivateTargets: ['127.0.0.1'] }, // the fake destination; production refuses loopback
    network: { allowPrivateTargets: ['127.0.0.1'] },
    destinations: [
      {
        id: 'tracker',
        connector: 'http-postback',
        acceptUnmatched: true,
        settings: { url: `${fakeUrl}/pb?cid={click_id}&tx={transaction_id}&payout={payout}&key={dedup_key}` },
      },
    ],
  };
  const configPath = join(dir, 'closeloop.yaml');
  writeFileSync(configPath, stringify(config));

  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, CLOSELOOP_CONFIG: configPath, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let partial = '';
  const errors: string[] = [];
  const keep = (b: Buffer) => {
    const text = b.toString('utf8');
    tail = (tail + text).slice(-8_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/"level":(50|60)/.test(line)) errors.push(line.slice(0, 600));
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const target: FuzzTarget = {
    base: `http://127.0.0.1:${port}`,
    proc,
    exit: null,
    exited: new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        target.exit = { code, signal };
        resolve();
      }),
    ),
    destinationRequests: () => delivered,
    errorLines: () => errors,
    tail: () => tail,
    async stop() {
      const t = Date.now();
      if (!target.exit) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await target.exited;
      clearTimeout(timer);
      await new Promise<void>((r) => fake.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
      return { ...(target.exit as { code: number | null; signal: NodeJS.Signals | null }), ms: Date.now() - t };
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (target.exit) throw new Error(`gateway exited during startup (${JSON.stringify(target.exit)}):\n${tail}`);
    try {
      if ((await fetch(`${target.base}/readyz`)).ok) return target;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`gateway not ready within 60 s:\n${tail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
