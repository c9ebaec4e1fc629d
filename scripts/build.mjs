// `npm run build`: the gateway as plain JavaScript in dist/, run with `node dist/main.js`.
// esbuild, not tsc: the sources import without file extensions (moduleResolution "Bundler"), which
// Node's ESM loader cannot resolve, so each entry is bundled into one file. Packages stay external
// (resolved from node_modules at run time, native better-sqlite3 included).
// https://esbuild.github.io/api/#packages
import { build } from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Entries that exist on this branch: the gateway, and the CLIs when present.
const entries = ['src/main.ts', 'src/store/migrate-cli.ts', 'src/cli/main.ts'].filter((f) => existsSync(f));

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: 'dist',
  outbase: 'src',
  entryNames: '[dir]/[name]',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node22.19',
  sourcemap: true,
  logLevel: 'warning',
});

// Served by src/http/openapi-routes.ts next to dist/main.js: the spec, and the API reference page's
// script (Redoc, a devDependency), so the production image needs neither the sources nor dev packages.
mkdirSync('dist/vendor', { recursive: true });
copyFileSync('openapi.yaml', 'dist/openapi.yaml');
copyFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'dist/vendor/redoc.standalone.js');
// The console, when built (npm run build:ui), served by src/http/ui-routes.ts from dist/ui/.
if (existsSync('ui/dist/index.html')) cpSync('ui/dist', 'dist/ui', { recursive: true });
console.log(`built ${entries.join(', ')} → dist/`);
