import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles a bench server the way `npm run build` bundles the gateway (scripts/build.mjs: esbuild,
 * packages external), into bench/.build/, for `startServer(…, { plainNode: true })`. Production runs
 * `node dist/main.js`, not tsx: the tsx loader alone adds tens of MB of RSS, so a memory figure is
 * taken on a bundle (https://esbuild.github.io/api/#packages).
 */
export async function bundleServer(script: URL): Promise<string> {
  const dir = fileURLToPath(new URL('../.build/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const name = fileURLToPath(script).split('/').pop()?.replace(/\.ts$/, '.mjs') ?? 'server.mjs';
  const outfile = `${dir}${name}`;
  await build({
    entryPoints: [fileURLToPath(script)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node22.19',
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * What the production launcher, bin/closeloop-node, gives node: its flags and the environment it
 * sets (MALLOC_ARENA_MAX), read by running it (with this process's node first on PATH), so a
 * bench server started with them runs as `node dist/main.js` does in the image and under npm start.
 */
export function launcherSettings(): { nodeArgs: string[]; env: Record<string, string> } {
  const launcher = fileURLToPath(new URL('../../bin/closeloop-node', import.meta.url));
  const out = execFileSync(launcher, ['-e', 'process.stdout.write(JSON.stringify({ execArgv: process.execArgv, env: process.env }))'], {
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
  const seen = JSON.parse(out) as { execArgv: string[]; env: Record<string, string> };
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(seen.env)) if (key !== 'PATH' && (process.env[key] !== value || key.startsWith('MALLOC_'))) env[key] = value;
  return { nodeArgs: seen.execArgv.slice(0, seen.execArgv.indexOf('-e')), env };
}
