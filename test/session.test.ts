import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { consoleSessions } from '../src/http/admin-auth';
import { uiRoutes } from '../src/http/ui-routes';
import { errorHandler } from '../src/http/error-handler';
import { createLogger } from '../src/logger';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from './helpers/gateway';

/** The console's sign-in (session-routes.ts) and the cookie + CSRF rules of admin-auth.ts. */
let g: TestGateway;
before(async () => {
  g = await startTestGateway();
});
after(async () => {
  await g.close();
});

function cookiesOf(res: Response): Record<string, { value: string; attrs: string }> {
  const out: Record<string, { value: string; attrs: string }> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const [name, ...v] = (pair ?? '').split('=');
    out[(name ?? '').trim()] = { value: v.join('='), attrs: attrs.join(';').toLowerCase() };
  }
  return out;
}

async function signIn(token = ADMIN_TOKEN) {
  const res = await fetch(`${g.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  return { res, cookies: cookiesOf(res) };
}

const call = (path: string, init: RequestInit & { cookie?: string; csrf?: string } = {}) =>
  fetch(g.url + path, {
    ...init,
    headers: { ...(init.cookie ? { cookie: init.cookie } : {}), ...(init.csrf !== undefined ? { 'x-csrf-token': init.csrf } : {}), ...(init.headers ?? {}) },
  });

describe('console session', () => {
  it('exchanges the admin token for an httpOnly SameSite=Strict session cookie that does not contain the token', async () => {
    const { res, cookies } = await signIn();
    assert.equal(res.status, 204);
    const session = cookies.closeloop_session;
    const csrf = cookies.closeloop_csrf;
    assert.ok(session && csrf);
    assert.match(session.attrs, /httponly/);
    assert.match(session.attrs, /samesite=strict/);
    assert.match(session.attrs, /path=\//);
    assert.doesNotMatch(csrf.attrs, /httponly/, 'the console script reads the CSRF cookie');
    assert.ok(!decodeURIComponent(session.value).includes(ADMIN_TOKEN));
    assert.ok(!Buffer.from(session.value, 'base64').toString('latin1').includes(ADMIN_TOKEN));
  });

  it('refuses a wrong token with 401 and sets no cookie', async () => {
    const { res, cookies } = await signIn('not-the-admin-token-at-all');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).error.code, 'UNAUTHORIZED');
    assert.deepEqual(Object.keys(cookies), []);
    const bad = await fetch(`${g.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(bad.status, 400);
  });

  it('the cookie reads admin routes; changes need X-CSRF-Token equal to the csrf cookie (403 CSRF otherwise)', async () => {
    const { cookies } = await signIn();
    const csrf = cookies.closeloop_csrf?.value ?? '';
    const cookie = `closeloop_session=${cookies.closeloop_session?.value}; closeloop_csrf=${csrf}`;
    assert.equal((await call('/v1/deliveries', { cookie })).status, 200);
    assert.equal((await call('/v1/session', { cookie })).status, 200);
    const missing = await call('/v1/destinations/none/resume', { method: 'POST', cookie });
    assert.equal(missing.status, 403);
    assert.equal(((await missing.json()) as any).error.code, 'CSRF');
    assert.equal((await call('/v1/destinations/none/resume', { method: 'POST', cookie, csrf: 'x'.repeat(43) })).status, 403);
    // A CSRF value from another session does not pass either.
    const other = (await signIn()).cookies.closeloop_csrf?.value ?? '';
    assert.equal(
      (
        await call('/v1/destinations/none/resume', {
          method: 'POST',
          cookie: `closeloop_session=${cookies.closeloop_session?.value}; closeloop_csrf=${other}`,
          csrf: other,
        })
      ).status,
      403,
    );
    // With the right header the request reaches the route (404: no such destination).
    assert.equal((await call('/v1/destinations/none/resume', { method: 'POST', cookie, csrf })).status, 404);
    // A bearer request needs no CSRF token.
    assert.equal((await call('/v1/destinations/none/resume', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 404);
  });

  it('answers 429 with Retry-After after 10 wrong tokens from one address, and then even the right one waits', async () => {
    const own = await startTestGateway();
    try {
      const post = (token: string) =>
        fetch(`${own.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      for (let i = 0; i < 10; i++) assert.equal((await post(`wrong-token-${i}`)).status, 401, `try ${i + 1}`);
      const blocked = await post('wrong-token-11');
      assert.equal(blocked.status, 429);
      const wait = Number(blocked.headers.get('retry-after'));
      assert.ok(wait > 0 && wait <= 900, `Retry-After ${wait}`);
      assert.equal(((await blocked.json()) as { error: { code: string } }).error.code, 'TOO_MANY_SIGN_INS');
      assert.equal((await post(ADMIN_TOKEN)).status, 429, 'the right token waits too: no oracle while blocked');
      // The bearer API is not a sign-in: it stays usable for scripts from the same address.
      assert.equal((await fetch(`${own.url}/v1/deliveries`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200);
    } finally {
      await own.close();
    }
  });

  it('refuses forged or tampered cookies, and a wrong bearer even next to a good cookie', async () => {
    const { cookies } = await signIn();
    const value = cookies.closeloop_session?.value ?? '';
    const [exp, nonce, sig] = value.split('.') as [string, string, string];
    for (const forged of [`${Number(exp) + 1}.${nonce}.${sig}`, `${exp}.${'0'.repeat(32)}.${sig}`, 'admin', ADMIN_TOKEN]) {
      assert.equal((await call('/v1/deliveries', { cookie: `closeloop_session=${forged}` })).status, 401, forged);
    }
    assert.equal(
      (await call('/v1/deliveries', { cookie: `closeloop_session=${value}`, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status,
      401,
    );
  });

  it('signing out needs the CSRF header and ends the session for good', async () => {
    const { cookies } = await signIn();
    const csrf = cookies.closeloop_csrf?.value ?? '';
    const cookie = `closeloop_session=${cookies.closeloop_session?.value}; closeloop_csrf=${csrf}`;
    assert.equal((await call('/v1/session', { method: 'DELETE', cookie })).status, 403);
    const out = await call('/v1/session', { method: 'DELETE', cookie, csrf });
    assert.equal(out.status, 204);
    assert.match(cookiesOf(out).closeloop_session?.attrs ?? '', /max-age=0|expires=thu, 01 jan 1970/);
    const after = await call('/v1/deliveries', { cookie });
    assert.equal(after.status, 401, 'a replayed cookie no longer works');
    assert.match(((await after.json()) as any).error.message, /sign in again/);
  });

  it('a session expires', () => {
    let t = 1_000_000;
    const s = consoleSessions(ADMIN_TOKEN, () => t);
    const issued = s.issue();
    assert.ok(s.read(issued.cookie));
    t += 12 * 3_600_000;
    assert.equal(s.read(issued.cookie), null);
    assert.equal(consoleSessions('another-admin-token-123').read(issued.cookie), null, 'a new admin token signs everybody out');
  });
});

describe('console files (/ui)', () => {
  let dir: string;
  let url: string;
  let server: ReturnType<Koa['listen']>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'closeloop-ui-'));
    const app = new Koa();
    app.silent = true;
    app.use(errorHandler(createLogger('silent')));
    app.use(uiRoutes({ dir }));
    app.use((ctx) => {
      ctx.body = 'api';
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 naming npm run build:ui while ui/dist is missing', async () => {
    const res = await fetch(`${url}/ui/`);
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
    assert.match(((await res.json()) as any).error.message, /npm run build:ui/);
  });

  it('serves hashed assets immutable, index.html no-cache with a strict CSP, and index.html for client routes', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/ui/assets/app-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    const index = await fetch(`${url}/ui/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const asset = await fetch(`${url}/ui/assets/app-abc123.js`);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    const deep = await fetch(`${url}/ui/conversions/0123`);
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /app-abc123/);
    assert.equal((await fetch(`${url}/ui/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${url}/ui/..%2f..%2fetc%2fpasswd`)).status, 200, 'a path outside ui/dist is the SPA page, never the file');
    assert.doesNotMatch(await (await fetch(`${url}/ui/assets/..%2f..%2f..%2fpackage.json`)).text(), /"name"/);
    assert.equal(await (await fetch(`${url}/other`)).text(), 'api', 'other paths pass through');
    assert.equal((await fetch(`${url}/ui/%E0%A4%A`)).status, 400);
    assert.equal((await fetch(`${url}/ui/`, { method: 'POST' })).status, 405);
    const big = `console.log(${JSON.stringify('x'.repeat(5000))})`;
    writeFileSync(join(dir, 'assets', 'big-abc123.js'), big);
    const gz = await fetch(`${url}/ui/assets/big-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal(await gz.text(), big);
    const redirect = await fetch(`${url}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
  });
});
