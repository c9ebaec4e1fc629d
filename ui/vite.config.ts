import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console: a Preact SPA served by the gateway at /ui (src/http/ui-routes.ts). Built into
 * ui/dist by `npm run build:ui` (and by `npm ci` through the `prepare` script). JSX goes through
 * Vite's own oxc transform with Preact's automatic runtime (https://vite.dev/config/shared-options#oxc).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  publicDir: 'public',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline scripts: no inlined assets or module-preload polyfill in index.html.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
