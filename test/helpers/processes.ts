import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { dropTestSchema, TEST_POSTGRES_URL } from './engine';

/** Real gateway processes for the multi-process tests (`node --import tsx src/main.ts`). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A config file for gateway processes that share one fresh Postgres schema; `cleanups` drops the
 * schema and deletes the file. `storage` adds to the Postgres storage section (e.g. a click store).
 */
export function writeSharedPostgresConfig(opts: {
  tag: string;
  cleanups: Array<() => Promise<unknown>>;
  adminToken: string;
  poolSize: number;
  storage?: Record<string, unknown>;
  config: Record<string, unknown>;
}): { configPath: string; schema: string } {
  const schema = `cl_${opts.tag}_${randomBytes(6).toString('hex')}`;
  opts.cleanups.push(() => dropTestSchema(schema));
  const dir = mkdtempSync(join(tmpdir(), `closeloop-${opts.tag}-`));
  opts.cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'closeloop.yaml');
  const storage = { engine: 'postgres', postgres: { url: TEST_POSTGRES_URL, schema, poolSize: opts.poolSize }, ...opts.storage };
  writeFileSync(configPath, stringify({ server: { host: '127.0.0.1', port: 0 }, admin: { token: opts.adminToken }, storage, ...opts.config }));
  return { configPath, schema };
}

export interface GatewayProcess {
  proc: ChildProcess;
  base: string;
  port: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<unknown>;
  output: () => string;
}

/**
 * Spawns the gateway on `port` with the config file and resolves once `probe` (/healthz) answers
 * 200. `env` adds variables the config may reference (`${NAME}`), e.g. a path of its own in a
 * destination URL so a fake knows which process sent each request.
 */
export async function startGatewayProcess(
  configPath: string,
  port: number,
  timeoutMs = 60_000,
  probe = '/healthz',
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, CLOSELOOP_CONFIG: configPath, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-8_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const child: GatewayProcess = {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    exit: null,
    output: () => tail,
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve((child.exit = { code, signal })))),
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exit) throw new Error(`gateway exited during startup (${JSON.stringify(child.exit)}):\n${tail}`);
    try {
      if ((await fetch(`${child.base}${probe}`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`gateway did not answer ${probe} within ${timeoutMs} ms:\n${tail}`);
    }
    await sleep(50);
  }
}

export interface Reception {
  key: string;
  tx: string;
  /** The first path segment of the request: which process sent it, when each has a URL of its own. */
  sender: string;
  status: number;
  start: number;
  /** When the answer was sent, or the socket closed (a killed sender). */
  end: number | null;
  /** The sender went away before the answer (killed process). */
  aborted: boolean;
}

/**
 * A destination that takes `delayMs` per request and answers some with 503; it records every
 * request with its de-duplication key, and every moment two requests of one key overlapped.
 */
export async function startSlowDestination(opts: { delayMs: number; failEvery: number; onAnswered?: (r: Reception) => void }) {
  const receptions: Reception[] = [];
  const open = new Map<string, number>();
  const overlaps: Array<{ key: string; at: number }> = [];
  let n = 0;
  const server = createHttpServer((req, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const key = url.searchParams.get('key') ?? '';
    const sender = url.pathname.split('/')[1] ?? '';
    const r: Reception = { key, tx: url.searchParams.get('tx') ?? '', sender, status: 0, start: Date.now(), end: null, aborted: false };
    receptions.push(r);
    const count = (open.get(key) ?? 0) + 1;
    open.set(key, count);
    if (count > 1) overlaps.push({ key, at: r.start });
    const done = () => {
      if (r.end !== null) return;
      r.end = Date.now();
      open.set(key, (open.get(key) ?? 1) - 1);
    };
    res.on('close', () => {
      if (!res.writableFinished) r.aborted = true;
      done();
    });
    // A killed sender's kernel closes its end (FIN): the answer would go to nobody.
    const peerGone = () => {
      if (res.writableFinished) return;
      r.aborted = true;
      done();
    };
    req.socket.once('end', peerGone);
    res.once('finish', () => req.socket.off('end', peerGone));
    const fail = ++n % opts.failEvery === 0;
    setTimeout(() => {
      r.status = fail ? 503 : 200;
      res.writeHead(r.status, { 'content-type': 'text/plain' }).end(fail ? 'busy' : 'ok');
      opts.onAnswered?.(r);
    }, opts.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    receptions,
    overlaps,
    openKeys: () => [...open].filter(([, c]) => c > 0).map(([k]) => k),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
