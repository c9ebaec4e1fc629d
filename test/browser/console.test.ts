import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { waitForDeliveries } from '../helpers/gateway';
import { startConsoleGateway, type ConsoleGateway } from './console-gateway';
import { csrfCookie, ensureUiBuilt, go, launchWith, openPage, pageErrors, sees, shot, signIn, until } from './harness';

/**
 * The console in real headless Chromium against the real gateway, on the routes every branch
 * has today (sign-in, deliveries, destinations, the network side). The seed-001 story on the
 * console's new API routes is in story.test.ts.
 */
/** The page's globals used inside page.evaluate (the test's tsconfig has no DOM types). */
declare const document: { cookie: string; documentElement: { scrollWidth: number } };
let browser: Browser;
let cg: ConsoleGateway;

before(async () => {
  await ensureUiBuilt();
  [browser, cg] = await launchWith(startConsoleGateway());
});
after(async () => {
  await browser?.close();
  await cg?.close();
});

/** A postback for a fresh click; returns the conversion id once its delivery has `status`. */
async function conversion(tx: string, status: string): Promise<string> {
  const clickId = await cg.g.click('demo', { gclid: `gclid-${tx}` });
  const res = await cg.g.postback({ click_id: clickId, payout: '12.50', tx_id: tx, offer_id: '42' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await waitForDeliveries(cg.g, res.body.conversion_id, status);
  return res.body.conversion_id as string;
}

describe('console (browser)', () => {
  it('refuses a wrong token, signs in to an httpOnly SameSite=Strict session, and signs out for good', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url, 'not-the-admin-token-0000');
    await sees(page, 'Could not sign in');
    assert.match((await page.getByRole('alert').textContent()) ?? '', /not the admin token/);
    await shot(page, 'sign-in-refused');
    await signIn(page, cg.g.url);
    await sees(page, 'Overview');
    const session = (await context.cookies()).find((c) => c.name === 'closeloop_session');
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('closeloop_session')), false, 'the page script cannot read the session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    const status = await page.evaluate(async () => (await fetch('/v1/deliveries')).status);
    assert.equal(status, 401);
    assert.deepEqual(pageErrors(page), [], 'no script error or CSP violation');
    // The CSP is enforced: an injected inline script does not run.
    await page.evaluate(() => {
      const d = (globalThis as any).document;
      const s = d.createElement('script');
      s.textContent = 'globalThis.__inlineRan = true';
      d.body.appendChild(s);
    });
    assert.equal(await page.evaluate(() => (globalThis as any).__inlineRan ?? false), false);
    await until(async () => pageErrors(page).some((e) => /Content Security Policy/.test(e)), 'the CSP violation report');
    await context.close();
  });

  it('a cookie request without the right X-CSRF-Token is refused with 403 CSRF, and the page says so', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    const bare = await page.evaluate(async () => {
      const r = await fetch('/v1/destinations/tracker/resume', { method: 'POST' });
      return { status: r.status, body: (await r.json()) as { error: { code: string } } };
    });
    assert.equal(bare.status, 403);
    assert.equal(bare.body.error.code, 'CSRF');
    const csrf = await csrfCookie(context);
    const withHeader = await page.evaluate(
      async (token) => (await fetch('/v1/destinations/tracker/resume', { method: 'POST', headers: { 'x-csrf-token': token } })).status,
      csrf,
    );
    assert.equal(withHeader, 200);
    // A forged CSRF cookie: the console's own button is refused, and the refusal is shown.
    await context.addCookies([{ name: 'closeloop_csrf', value: 'forged-value', url: cg.g.url }]);
    await go(page, cg.g.url, '/destinations');
    await page.getByRole('button', { name: 'Send test conversion' }).click();
    assert.match(await sees(page, /X-CSRF-Token/), /X-CSRF-Token/);
    await sees(page, '403 CSRF');
    await shot(page, 'csrf-refused');
    assert.equal(cg.tracker.requests.filter((r) => r.query.get('cid')?.startsWith('closeloop-test')).length, 0, 'nothing was sent');
    await context.close();
  });

  it('deliveries: a dead delivery shows why; Retry sends it again and it succeeds', async () => {
    cg.tracker.answer({ status: 400, body: 'missing parameter: campaign' });
    const id = await conversion('tx-deliveries-1', 'dead');
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/deliveries?status=dead&destination=tracker');
    const row = page.locator('tr', { hasText: 'missing parameter: campaign' }).first();
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /400/);
    assert.match((await row.textContent()) ?? '', /refused this conversion/);
    await shot(page, 'deliveries-dead');
    cg.tracker.answer({ status: 200, body: 'ok' });
    await row.getByRole('button', { name: 'Retry' }).click();
    await sees(page, 'queued again');
    await waitForDeliveries(cg.g, id, 'succeeded');
    await go(page, cg.g.url, `/conversions/${id}`);
    await sees(page, 'View Debug Info — attempt 2: 200');
    await page.getByText('View Debug Info — attempt 1: 400').click();
    await sees(page, 'missing parameter: campaign');
    await shot(page, 'conversion-debug-info');
    await context.close();
  });

  it('destinations: paused by refused credentials, resumed; test conversion and verify answer inline', async () => {
    cg.tracker.answer({ status: 401, body: 'bad token' });
    await conversion('tx-destinations-1', 'pending').catch(() => undefined);
    await until(async () => (await cg.g.admin('/v1/destinations')).body.destinations[0].paused === true, 'tracker to pause');
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/destinations');
    const card = page.locator('[data-destination="tracker"]');
    await card.locator('.title-row .badge', { hasText: /^paused$/ }).waitFor();
    assert.match((await card.textContent()) ?? '', /auth: .*401/);
    await shot(page, 'destinations-paused');
    cg.tracker.answer({ status: 200, body: 'ok' });
    await card.getByRole('button', { name: 'Send test conversion' }).click();
    await card.getByText('Test conversion accepted').waitFor();
    const requestLine = await card.getByLabel('request line').textContent();
    assert.match(requestLine ?? '', new RegExp(`^GET ${cg.tracker.url}/conv\\?cid=`));
    assert.match((await card.locator('.status-code').first().textContent()) ?? '', /200/);
    await card.getByRole('button', { name: 'Verify credentials' }).click();
    await card.getByText(/no cheap credential check/).waitFor();
    await card.getByRole('button', { name: 'Resume' }).click();
    await card.locator('.title-row .badge', { hasText: /^ok$/ }).waitFor();
    assert.equal((await cg.g.admin('/v1/destinations')).body.destinations[0].paused, false);
    await shot(page, 'destinations-tested');
    await context.close();
  });

  it('network: create a partner postback with the macro picker, test fire it, read its fires in the report', async () => {
    cg.partner.ok();
    const offer = (await cg.g.admin('/v1/network/offers', { method: 'POST', body: JSON.stringify({ name: 'Dating CPA', payout_amount: '12.5' }) })).body;
    const partner = (await cg.g.admin('/v1/network/partners', { method: 'POST', body: JSON.stringify({ name: 'Media buyer A' }) })).body;
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/network/postbacks');
    await page.getByRole('button', { name: '+ Postback' }).click();
    await page.locator('select[name="partner_id"]').selectOption(String(partner.id));
    await page.getByLabel(/Postback URL/).fill(`${cg.partner.url}/pb?tx=`);
    await page.getByText('Insert a macro').click();
    await page.getByRole('button', { name: '{transaction_id}', exact: true }).click();
    assert.equal(await page.getByLabel(/Postback URL/).inputValue(), `${cg.partner.url}/pb?tx={transaction_id}`);
    await shot(page, 'partner-postback-form');
    await page.getByRole('button', { name: 'Save' }).click();
    const card = page.locator('article.pb', { hasText: `${cg.partner.url}/pb?tx={transaction_id}` });
    await card.waitFor();
    await card.getByRole('button', { name: 'Test fire' }).click();
    const sent = await card.getByLabel('request line').textContent();
    assert.match(sent ?? '', new RegExp(`^GET ${cg.partner.url}/pb\\?tx=[0-9a-f]{32}$`));
    assert.match((await card.locator('.status-code').textContent()) ?? '', /200/);

    const click = (await cg.g.admin('/v1/network/clicks', { method: 'POST', body: JSON.stringify({ offer_id: offer.id, partner_id: partner.id }) })).body;
    await cg.g.admin('/v1/network/conversions', { method: 'POST', body: JSON.stringify({ transaction_id: click.transaction_id }) });
    await cg.partner.waitFor(2);
    await go(page, cg.g.url, `/network/report?partner_id=${partner.id}`);
    const row = page.locator('tr[data-delivery]', { hasText: `/pb?tx=${click.transaction_id}` });
    await until(async () => {
      if (await row.count()) return true;
      await page.getByRole('button', { name: 'Show' }).click();
      return false;
    }, 'the fire in the report');
    assert.match((await row.textContent()) ?? '', /success/);
    await page.getByText('View Debug Info').first().click();
    await sees(page, /^Attempt 1/);
    await shot(page, 'network-report');
    assert.deepEqual(pageErrors(page), [], 'no script error or CSP violation');
    await context.close();
  });

  it('network: a failing partner postback is deactivated; re-enable stays refused until the test fire succeeds', async () => {
    cg.partner.fail(500);
    const offer = (await cg.g.admin('/v1/network/offers', { method: 'POST', body: JSON.stringify({ name: 'Offer B' }) })).body;
    const partner = (await cg.g.admin('/v1/network/partners', { method: 'POST', body: JSON.stringify({ name: 'Media buyer B' }) })).body;
    const pb = (
      await cg.g.admin('/v1/network/postbacks', {
        method: 'POST',
        body: JSON.stringify({ level: 'global', partner_id: partner.id, postback_url: `${cg.partner.url}/b?tx={transaction_id}` }),
      })
    ).body;
    for (let i = 0; i < 2; i++) {
      const click = (await cg.g.admin('/v1/network/clicks', { method: 'POST', body: JSON.stringify({ offer_id: offer.id, partner_id: partner.id }) })).body;
      await cg.g.admin('/v1/network/conversions', { method: 'POST', body: JSON.stringify({ transaction_id: click.transaction_id }) });
      await until(
        async () => (await cg.g.admin(`/v1/network/reports/postbacks?postback_id=${pb.id}&status=failure`)).body.rows.length === i + 1,
        `failure ${i + 1}`,
      );
    }
    await until(async () => (await cg.g.admin(`/v1/network/postbacks/${pb.id}`)).body.status === 'deactivated', 'deactivation');

    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/network/report');
    const flag = page.locator(`.deactivated[data-postback="${pb.id}"]`);
    await flag.getByText(`Postback ${pb.id} is deactivated`).waitFor();
    await flag.getByRole('button', { name: 'Show the failures that caused it' }).click();
    await until(async () => (await page.locator('table.report tbody tr[data-delivery]').count()) === 2, 'the two failures');
    assert.match((await page.locator('table.report').textContent()) ?? '', /failure.*500/s);
    await shot(page, 'network-deactivated');

    await flag.getByRole('button', { name: 'Test fire, then re-enable' }).click();
    await flag.getByText(/stays deactivated/).waitFor();
    assert.match((await flag.locator('.status-code').textContent()) ?? '', /500/);
    assert.equal((await cg.g.admin(`/v1/network/postbacks/${pb.id}`)).body.status, 'deactivated');

    cg.partner.ok();
    await flag.getByRole('button', { name: 'Test fire, then re-enable' }).click();
    await sees(page, 'Re-enabled after a successful test fire');
    assert.equal((await cg.g.admin(`/v1/network/postbacks/${pb.id}`)).body.status, 'active');
    await shot(page, 'network-reenabled');
    assert.deepEqual(pageErrors(page), [], 'no script error or CSP violation');
    await context.close();
  });

  it('postbacks received: a refused postback shows the reason in plain words, what to fix, and the exact parameters', async () => {
    const res = await fetch(`${cg.g.url}/postback?key=test-source-secret-0123456789&click_id={Sub5}&payout=12.50&tx_id=tx-refused-1`);
    assert.equal(res.status, 422);
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/postbacks');
    const card = page.locator('article.postback', { hasText: 'refused 422' }).first();
    await card.waitFor();
    const text = (await card.textContent()) ?? '';
    assert.match(text, /What to fix:.*\{sub5\}, not \{Sub5\}/);
    await card.getByText('Exact parameters').click();
    assert.match((await card.locator('table.kv').textContent()) ?? '', /tx_id\s*tx-refused-1/);
    assert.doesNotMatch((await card.locator('table.kv').textContent()) ?? '', /test-source-secret/, 'the key is never kept');
    await shot(page, 'postbacks-refused');
    await context.close();
  });

  it('offers & partners: create, edit and disable from the page', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/network/offers');
    await page.getByLabel('Name').first().fill('Summer CPA');
    await page.getByLabel('Payout').first().fill('7.25');
    await page.getByRole('button', { name: 'Create offer' }).click();
    const row = page.locator('tr', { hasText: 'Summer CPA' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /7\.25 USD/);
    await row.getByRole('button', { name: 'Edit' }).click();
    await row.locator('input[name="payout_amount"]').fill('8.5');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.locator('tr', { hasText: '8.5 USD' }).waitFor();
    await page.locator('tr', { hasText: 'Summer CPA' }).getByRole('button', { name: 'Disable' }).click();
    await page.locator('tr', { hasText: 'Summer CPA' }).getByText('inactive').waitFor();
    const offers = (await cg.g.admin('/v1/network/offers')).body.offers as Array<{ name: string; status: string; payout_amount: string }>;
    assert.deepEqual(
      offers.filter((o) => o.name === 'Summer CPA').map((o) => [o.status, o.payout_amount]),
      [['inactive', '8.5']],
    );
    // A refusal from the API is shown as it was given.
    await page.getByRole('button', { name: 'Create partner' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /400 INVALID_PARTNER.*name/s);
    await context.close();
  });

  it('a list that cannot load says why, beside the lists that did; a list with no match says so', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await page.route('**/v1/links', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'the store is closed' } }) }),
    );
    await go(page, cg.g.url, '/links');
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load links' });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /503 UNAVAILABLE.*the store is closed/s);
    await page.locator('[data-source="net"]').waitFor();
    await go(page, cg.g.url, '/conversions?tx_id=tx-no-such-conversion');
    await sees(page, 'No conversion matches these filters.');
    assert.equal(await page.locator('table.list').count(), 0);
    await context.close();
  });

  it('is readable on a phone: the menu folds away and tables scroll', async () => {
    const { context, page } = await openPage(browser, { width: 390, height: 844 });
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, '/deliveries?status=all');
    const nav = page.getByRole('navigation', { name: 'Console pages' });
    assert.equal(await nav.isVisible(), false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav.getByText('Destinations').click();
    await sees(page, 'Failure streak');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 400, `no sideways scrolling of the whole page (${width}px)`);
    await shot(page, 'phone-destinations');
    await context.close();
  });
});
