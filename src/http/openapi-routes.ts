import type Router from '@koa/router';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../api-error';

/**
 * The API contract, public: `GET /openapi.yaml` (the spec as written) and `GET /docs`, a reference
 * page rendered in the browser by Redoc (https://redocly.com/docs/redoc/deployment/html) from a
 * script we serve ourselves, so the page works with no Internet access and its CSP allows only us.
 * Files are looked up next to the built bundle first (`npm run build` copies them into dist/), then
 * where they live in the source tree and node_modules (`npm start` with tsx).
 */

const here = import.meta.url;
const SPEC_FILES = [new URL('./openapi.yaml', here), new URL('../../openapi.yaml', here)].map((u) => fileURLToPath(u));
function redocFiles(): string[] {
  const files = [fileURLToPath(new URL('./vendor/redoc.standalone.js', here))];
  try {
    files.push(createRequire(here).resolve('redoc/bundles/redoc.standalone.js'));
  } catch {
    // Not installed (a production install without dev packages, from source): only dist/ has it.
  }
  return files;
}

/** The first candidate that reads; cached once found. */
function firstFile(candidates: () => string[]): () => Promise<Buffer | null> {
  let found: Promise<Buffer | null> | undefined;
  return () => {
    found ??= (async () => {
      for (const file of candidates()) {
        try {
          return await readFile(file);
        } catch {
          // next candidate
        }
      }
      found = undefined; // retry on the next request (e.g. the build finished meanwhile)
      return null;
    })();
    return found;
  };
}

const spec = firstFile(() => SPEC_FILES);
const redoc = firstFile(redocFiles);

const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Closeloop API reference</title>
<link rel="icon" href="data:,">
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.yaml" hide-hostname="true"></redoc>
<noscript>This page needs JavaScript. The contract itself is at <a href="/openapi.yaml">/openapi.yaml</a>.</noscript>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
`;

// Redoc styles with inline <style> elements and runs its search in a blob: worker.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** This install lacks the file (a source checkout without dev packages): nothing to retry. */
function missing(what: string): ApiError {
  return new ApiError(404, 'NOT_INSTALLED', `${what} is not part of this install: run \`npm run build\`, or install the dev dependencies`);
}

export function openapiRoutes(router: Router): void {
  router.get('/openapi.yaml', async (ctx) => {
    const body = await spec();
    if (!body) throw missing('openapi.yaml');
    ctx.type = 'application/yaml; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = body;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = DOCS_HTML;
  });
  router.get('/docs/redoc.standalone.js', async (ctx) => {
    const body = await redoc();
    if (!body) throw missing('The API reference script');
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = body;
  });
}
