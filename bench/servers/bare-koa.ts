import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import { serveBench } from '../lib/child-side';
import { OFFER_URL } from './shared';

/**
 * The baseline: bare Koa + @koa/router with the gateway's two public routes and NO storage,
 * no validation, no logging. GET /c/:link redirects to the offer URL with a fresh sub5 (a
 * 32-hex id, like the gateway's click id); GET /postback answers {"ok":true}.
 */
const links = new Map([['demo', OFFER_URL]]);
const app = new Koa();
const router = new Router();
router.get('/c/:link', (ctx) => {
  const offer = links.get(ctx.params.link as string);
  if (!offer) {
    ctx.status = 404;
    return;
  }
  ctx.redirect(`${offer}&sub5=${randomUUID().replaceAll('-', '')}`);
});
router.get('/postback', (ctx) => {
  ctx.body = { ok: true };
});
app.use(router.routes());
app.silent = true;

const server = app.listen(0, '127.0.0.1');
server.keepAliveTimeout = 65_000;
serveBench(server);
