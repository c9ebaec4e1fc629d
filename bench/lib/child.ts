import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { progress, settings } from './settings';
import type { ServerStats } from './child-side';

export interface ChildServer {
  label: string;
  pid: number;
  port: number;
  url: string;
  /** Starts the measured window in the child: CPU time, event-loop utilisation and its own counters. */
  mark(): Promise<void>;
  /** What the child measured since `mark()`. */
  stats(): Promise<ServerStats>;
  /** A full garbage collection in the child (it must run with --expose-gc), then its stats: what is live, not garbage not collected yet. */
  gc(): Promise<ServerStats>;
  /** Graceful stop (SIGTERM, the child closes its server and storage); SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface StartOptions {
  label?: string;
  env?: Record<string, string>;
  /** Pin to the server CPU (default: when settings.pin). */
  pin?: boolean;
  readyTimeoutMs?: number;
  /** Run `script` with plain node, no tsx loader (a bundle from `bundleServer`). */
  plainNode?: boolean;
  /** Extra node flags for this child (after BENCH_NODE_ARGS). */
  nodeArgs?: string[];
}

/**
 * Starts `script` (a .ts file using `bench/lib/child-side.ts`) as a CHILD PROCESS, so the load
 * generator and the server never share an event loop; with two cores the child is pinned to one
 * (taskset) and this process to the other. Resolves once the child reports its listening port.
 */
export async function startServer(script: string | URL, options: StartOptions = {}): Promise<ChildServer> {
  const path = script instanceof URL ? fileURLToPath(script) : script;
  const label = options.label ?? path.split('/').pop() ?? path;
  const pin = options.pin ?? settings.pin;
  const nodeArgs = [
    ...(options.plainNode ? [] : ['--import', 'tsx']),
    ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ...(options.nodeArgs ?? []),
    path,
  ];
  const [cmd, args] = pin ? ['taskset', ['-c', String(settings.serverCpu), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(cmd, args as string[], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  const tail: string[] = [];
  const keep = (prefix: string) => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (settings.verbose) process.stderr.write(`  [${label} ${prefix}] ${line}\n`);
    }
  };
  child.stdout?.on('data', keep('out'));
  child.stderr?.on('data', keep('err'));

  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  const waiters = new Map<string, Array<(msg: Record<string, unknown>) => void>>();
  child.on('message', (msg: Record<string, unknown>) => {
    const list = waiters.get(String(msg.type));
    const w = list?.shift();
    if (w) w(msg);
  });
  const reply = (type: string, timeoutMs: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: no "${type}" message within ${timeoutMs} ms\n${tail.join('\n')}`)), timeoutMs);
      const list = waiters.get(type) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      waiters.set(type, list);
      exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited (code ${code}) before "${type}"\n${tail.join('\n')}`));
      });
    });

  const ready = await reply('ready', options.readyTimeoutMs ?? 30_000).catch((err) => {
    if (!exited) child.kill('SIGKILL');
    throw err;
  });
  const port = Number(ready.port);
  progress(`started ${label} (pid ${child.pid}, port ${port}${pin ? `, cpu ${settings.serverCpu}` : ''})`);

  const ask = async (type: string, answer: string) => {
    const p = reply(answer, 10_000);
    child.send({ type });
    return p;
  };
  return {
    label,
    pid: child.pid as number,
    port,
    url: `http://127.0.0.1:${port}`,
    mark: async () => {
      await ask('mark', 'marked');
    },
    stats: async () => (await ask('stats', 'stats')).stats as ServerStats,
    gc: async () => (await ask('gc', 'stats')).stats as ServerStats,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exit;
      clearTimeout(timer);
      if (code !== 0 && code !== null) progress(`${label} exited with code ${code}:\n${tail.join('\n')}`);
    },
  };
}
