import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startTestGateway, type TestGateway } from './helpers/gateway';

/** GET /openapi.yaml and the /docs reference page: public, complete, and rendered with no outside request. */

const SPEC = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
let g: TestGateway;
before(async () => {
  g = await startTestGateway();
});
after(async () => {
  await g.close();
});

describe('the contract served by the gateway', () => {
  it('GET /openapi.yaml is the spec file, without credentials', async () => {
    const res = await fetch(`${g.url}/openapi.yaml`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/yaml/);
    assert.equal(await res.text(), SPEC);
  });

  it('GET /docs is a page whose only script is ours, under a CSP that allows nothing else', async () => {
    const res = await fetch(`${g.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'none'/);
    const html = await res.text();
    assert.deepEqual(
      [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]),
      ['/docs/redoc.standalone.js'],
    );
    const js = await fetch(`${g.url}/docs/redoc.standalone.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.ok((await js.arrayBuffer()).byteLength > 100_000, 'the Redoc bundle itself');
  });

  describe('in a browser', () => {
    let browser: Browser;
    before(async () => {
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });
    after(async () => {
      await browser?.close();
    });

    it('/docs renders the operations from /openapi.yaml, asking nothing but the gateway', async () => {
      const page = await browser.newPage();
      const foreign: string[] = [];
      const blocked: string[] = [];
      const errors: string[] = [];
      const isForeign = (url: string) => !['data:', 'blob:'].includes(new URL(url).protocol) && new URL(url).origin !== g.url;
      // Requests the browser actually sent elsewhere; ones our CSP stopped are only recorded.
      page.on('requestfinished', (r) => (isForeign(r.url()) ? foreign.push(r.url()) : undefined));
      page.on('requestfailed', (r) => {
        if (!isForeign(r.url())) return;
        (r.failure()?.errorText === 'csp' ? blocked : foreign).push(r.url());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
      await page.goto(`${g.url}/docs`);
      // A summary from the spec, rendered by Redoc as an operation heading.
      await page.locator('h2', { hasText: 'Liveness — the process answers' }).waitFor({ timeout: 20_000 });
      if (process.env.DOCS_SCREENSHOT) await page.screenshot({ path: process.env.DOCS_SCREENSHOT });
      assert.equal(await page.title(), 'Closeloop API reference');
      assert.deepEqual(foreign, [], 'no request left the gateway');
      // Redoc's bundle hard-codes its attribution logo on a CDN and hides it when it fails to load.
      assert.ok(
        blocked.every((u) => u === 'https://cdn.redoc.ly/redoc/logo-mini.svg'),
        blocked.join(', '),
      );
      assert.deepEqual(
        errors.filter((e) => !e.includes('Content Security Policy')),
        [],
      );
      await page.close();
    });
  });
});
