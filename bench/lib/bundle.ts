import { mkdirSync } from 'node:fs';
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
