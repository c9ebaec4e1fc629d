import type { ChildProcess } from 'node:child_process';
import { freePort, startGatewayProcess } from './processes';

export interface ChildGateway {
  base: string;
  proc: ChildProcess;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output: () => string;
}

/** Runs `node --import tsx src/main.ts` with a config file on a free port; resolves once /readyz is 200. */
export async function startChildGateway(configPath: string, readyTimeoutMs = 30_000): Promise<ChildGateway> {
  const p = await startGatewayProcess(configPath, await freePort(), readyTimeoutMs, '/readyz');
  return { base: p.base, proc: p.proc, exited: p.exited.then(() => p.exit?.code ?? null), output: p.output };
}
