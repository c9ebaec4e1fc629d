import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { serveBench } from '../lib/child-side';
import { OFFER_URL } from './shared';

/**
 * What the HTTP framework costs on the two hot routes, no storage and no gateway logic, the same
 * answers as bare-koa.ts. `BENCH_SHAPE`:
 *   - `http`  — a plain node:http request listener (URL split by hand, JSON/302 written directly);
 *   - `koa`   — bare-koa.ts (Koa + @koa/router, the two routes);
 *   - `stack` — Koa shaped like the gateway (src/app.ts): two async wrapping middleware (observe,
 *     the error handler), the hot router, a pass-through (the UI routes), a router of ~80 routes,
 *     allowedMethods; the handler reads ctx.query as the gateway does.
 */
const shape = process.env.BENCH_SHAPE ?? 'http';
const links = new Map([['demo', OFFER_URL]]);
const sub5 = () => randomUUID().replaceAll('-', '');

function plain(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method === 'GET' && path === '/postback') {
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const body = JSON.stringify({ ok: query.size > 0 });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (req.method === 'GET' && path.startsWith('/c/')) {
    const offer = links.get(decodeURIComponent(path.slice(3)));
    if (offer) {
      const target = `${offer}&sub5=${sub5()}`;
      const body = `Redirecting to ${target}`;
      res.writeHead(302, { location: target, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
  }
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
  res.end('{"error":{"code":"NOT_FOUND"}}');
}

function koa(stack: boolean): Koa {
  const app = new Koa();
  const hot = new Router();
  hot.get('/c/:link', (ctx) => {
    const offer = links.get(ctx.params.link as string);
    if (!offer) return;
    if (stack) void ctx.query;
    ctx.redirect(`${offer}&sub5=${sub5()}`);
  });
  hot.get('/postback', (ctx) => {
    ctx.body = { ok: Object.keys(ctx.query).length > 0 };
  });
  if (!stack) {
    app.use(hot.routes());
    return app;
  }
  const wrap = async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.ms = performance.now() - started;
    }
  };
  app.use(wrap);
  app.use(async (_ctx, next) => {
    try {
      await next();
    } catch {
      /* the error handler's place */
    }
  });
  const big = new Router();
  for (let i = 0; i < 80; i++) big.get(`/v1/thing${i}/:id`, () => {});
  app.use(hot.routes());
  app.use(async (ctx, next) => (ctx.path.startsWith('/ui') ? undefined : next()));
  app.use(big.routes());
  app.use(big.allowedMethods({ throw: false }));
  return app;
}

const server = shape === 'http' ? createServer(plain) : createServer(koa(shape === 'stack').callback());
server.listen(0, '127.0.0.1');
server.keepAliveTimeout = 65_000;
serveBench(server);
