import { randomUUID } from 'node:crypto';
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import { serveBench } from '../lib/child-side';
import { OFFER_URL } from './shared';

/**
 * The durable-append baseline: the limit of a durable answer in this stack. Koa + @koa/router with
 * bare-koa.ts's two routes; each request's parameters (and, for a click, its id) are appended to a
 * file in os.tmpdir() (ext4, real fsync), ONE write + fdatasync per event-loop turn for every request
 * of that turn, and each request is answered only after the sync of its turn — the group commit of
 * src/store/sqlite/group-commit.ts without SQLite: no statements, indexes, validation or logging.
 * The fdatasync runs on libuv's thread pool (https://nodejs.org/api/fs.html#fsfdatasyncfd-callback),
 * like the gateway's WAL sync, so several turns' syncs may be in flight at once.
 */
const dir = mkdtempSync(join(tmpdir(), 'closeloop-durable-koa-'));
const fd = openSync(join(dir, 'append.log'), 'a');
let queue: Array<{ line: string; done: (err: Error | null) => void }> = [];
let appended = 0;
let syncs = 0;

function flush(): void {
  const jobs = queue;
  queue = [];
  let text = '';
  for (const j of jobs) text += j.line;
  try {
    writeSync(fd, text);
  } catch (err) {
    for (const j of jobs) j.done(err as Error);
    return;
  }
  syncs++;
  fdatasync(fd, (err) => {
    appended += jobs.length;
    for (const j of jobs) j.done(err);
  });
}

function append(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    queue.push({ line, done: (err) => (err ? reject(err) : resolve()) });
    if (queue.length === 1) setImmediate(flush);
  });
}

const links = new Map([['demo', OFFER_URL]]);
const app = new Koa();
const router = new Router();
router.get('/c/:link', async (ctx) => {
  const offer = links.get(ctx.params.link as string);
  if (!offer) {
    ctx.status = 404;
    return;
  }
  const id = randomUUID().replaceAll('-', '');
  await append(`c ${id} ${ctx.querystring}\n`);
  ctx.redirect(`${offer}&sub5=${id}`);
});
router.get('/postback', async (ctx) => {
  await append(`p ${ctx.querystring}\n`);
  ctx.body = { ok: true };
});
app.use(router.routes());
app.silent = true;

const server = app.listen(0, '127.0.0.1');
server.keepAliveTimeout = 65_000;
serveBench(server, {
  counters: () => ({ appended, syncs }),
  close: async () => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  },
});
