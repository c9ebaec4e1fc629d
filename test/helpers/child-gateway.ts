import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-child';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildGateway {
  base: string;
  proc: ChildProcess;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output: () => string;
}

/** Runs `node --import tsx src/main.ts` with a config file on a free port; resolves once /readyz is 200. */
export async function startChildGateway(configPath: string, readyTimeoutMs = 30_000): Promise<ChildGateway> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, CLOSELOOP_CONFIG: configPath, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-8_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const child = { base: `http://127.0.0.1:${port}`, proc, exited, output: () => tail };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited during startup:\n${tail}`);
    try {
      if ((await fetch(`${child.base}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`gateway did not get ready within ${readyTimeoutMs} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
