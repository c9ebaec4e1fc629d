import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Middleware, Next } from 'koa';
import { ApiError } from '../api-error';

/**
 * Where `vite build --config ui/vite.config.ts` writes the console (ui/vite.config.ts), seen from
 * the sources (src/http/) — or, in the built gateway, `dist/ui/` next to dist/main.js
 * (scripts/build.mjs copies it there).
 */
export const UI_DIST =
  [new URL('./ui/', import.meta.url), new URL('../../ui/dist/', import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((dir) => existsSync(join(dir, 'index.html'))) ?? fileURLToPath(new URL('../../ui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

/**
 * No inline script or style, nothing from another origin, no framing
 * (https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/CSP). The console only talks to its
 * own gateway.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

interface Cached {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer | null;
}

/**
 * The console at /ui: hashed assets under /ui/assets/ cached for a year (their names change with
 * their content), index.html never cached, and every other /ui/* path answered with index.html
 * so the client-side router can show it. A plain middleware, not a router: these are not API
 * routes and openapi.yaml does not list them.
 */
export function uiRoutes(options: { dir?: string } = {}): Middleware {
  const dir = options.dir ?? UI_DIST;
  const cache = new Map<string, Cached>();

  async function load(file: string): Promise<Cached | null> {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return null;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === info.mtimeMs) return hit;
    const body = await readFile(file);
    const entry = { mtimeMs: info.mtimeMs, body, gzip: COMPRESSIBLE.has(extname(file)) && body.length > 1024 ? gzipSync(body) : null };
    cache.set(file, entry);
    return entry;
  }

  function send(ctx: Context, file: string, entry: Cached, cacheControl: string): void {
    ctx.set('Cache-Control', cacheControl);
    ctx.set('Content-Security-Policy', UI_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.vary('Accept-Encoding');
    ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
    if (entry.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = entry.gzip;
    } else {
      ctx.body = entry.body;
    }
  }

  return async (ctx: Context, next: Next) => {
    if (ctx.path !== '/ui' && !ctx.path.startsWith('/ui/')) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.set('Allow', 'GET, HEAD');
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'the console is read with GET');
    }
    if (ctx.path === '/ui') {
      ctx.redirect('/ui/');
      return;
    }
    const index = await load(join(dir, 'index.html'));
    if (!index) {
      ctx.set('Retry-After', '60');
      throw new ApiError(503, 'UI_NOT_BUILT', 'the console is not built: run `npm run build:ui` (npm ci does it through the prepare script), then reload');
    }
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(ctx.path.slice('/ui/'.length)));
    } catch {
      throw new ApiError(400, 'INVALID_REQUEST', 'the path is not valid percent-encoding');
    }
    const file = join(dir, rel);
    const inside = file.startsWith(dir.endsWith(sep) ? dir : dir + sep) && !rel.startsWith('..');
    if (rel.startsWith(`assets${sep}`)) {
      const asset = inside ? await load(file) : null;
      if (!asset) throw new ApiError(404, 'NOT_FOUND', `no console file ${ctx.path}`);
      send(ctx, file, asset, 'public, max-age=31536000, immutable');
      return;
    }
    const other = inside && rel !== '.' && rel !== 'index.html' ? await load(file) : null;
    if (other) send(ctx, file, other, 'no-cache');
    else send(ctx, 'index.html', index, 'no-cache');
  };
}
