#!/usr/bin/env node
// The `closeloop` CLI (package.json "bin"). The code is TypeScript in src/cli; tsx's ESM loader
// (a dependency of the project) lets it run from a clone with no build step: `npx closeloop …`.
// https://tsx.is/dev-api/register-esm
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  fetch: globalThis.fetch,
});
process.exitCode = code;
