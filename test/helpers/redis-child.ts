import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './processes';

export { freePort };

/*
 * A private redis-server for fault tests (never the machine's shared 6379), and a TCP proxy in
 * front of it that a test can cut (connection refused), black-hole (connected, no answers) and
 * restore, with the data kept in the server behind it.
 */

export interface RedisChild {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisChild> {
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`redis-server did not start on ${port}:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export interface CuttableProxy {
  port: number;
  url: string;
  /** Close every connection and refuse new ones (a Redis that is down). */
  cut(): Promise<void>;
  /** Accept connections and data, answer nothing (a Redis that hangs). */
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<CuttableProxy> {
  const port = await freePort();
  const pairs = new Set<[Socket, Socket]>();
  let mode: 'pass' | 'blackhole' = 'pass';
  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        const drop = () => {
          pairs.delete(pair);
          client.destroy();
          upstream.destroy();
        };
        client.on('data', (d) => mode === 'pass' && upstream.write(d));
        upstream.on('data', (d) => mode === 'pass' && client.write(d));
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  const cut = async () => {
    const s = server;
    server = null;
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cut,
    blackhole: () => {
      mode = 'blackhole';
    },
    async restore() {
      mode = 'pass';
      if (!server) await listen();
    },
    close: cut,
  };
}
