import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startMetaFake, type MetaFake } from '../fakes/meta';
import { startTestGateway, waitForDeliveries, type TestGateway } from '../helpers/gateway';
import { ensureUiBuilt, go, launchWith, openPage, pageErrors, shot, signIn } from './harness';

/**
 * The destinations page shows event match quality (issue 11 item 7): per signal of a Meta
 * destination, the share of delivered conversions that carried it, and a hint under a low one.
 */
const TOKEN = 'EAAB-console-match-quality-0123456789ab';
const PIXEL = '555000111222555';
let browser: Browser;
let fake: MetaFake;
let g: TestGateway;

before(async () => {
  await ensureUiBuilt();
  fake = await startMetaFake({ accessToken: TOKEN, pixels: [PIXEL] });
  [browser, g] = await launchWith(
    startTestGateway({
      configOverrides: {
        destinations: [{ id: 'fb', connector: 'meta', settings: { pixelId: PIXEL, baseUrl: fake.url }, credentials: { accessToken: TOKEN } }],
      },
    }),
  );
});
after(async () => {
  await browser?.close();
  await g?.close();
  await fake?.close();
});

test('destinations: each signal with its share; fbc missing on 40 % says to add fbclid to the links', async () => {
  // Five conversions: three from fbclid clicks, two from clicks without one; all with ip and user agent.
  for (let i = 0; i < 5; i++) {
    const clickId = await g.click('demo', i < 3 ? { fbclid: `IwAR-ui-${i}` } : {}, { 'user-agent': 'Mozilla/5.0 console-mq' });
    const pb = await g.postback({ click_id: clickId, payout: '3', tx_id: `tx-ui-mq-${i}` });
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    await waitForDeliveries(g, pb.body.conversion_id, 'succeeded');
  }
  const { context, page } = await openPage(browser);
  await signIn(page, g.url);
  await go(page, g.url, '/destinations');
  const card = page.locator('[data-destination="fb"]');
  const quality = card.getByRole('region', { name: 'Match quality' });
  await quality.waitFor();
  assert.match((await quality.textContent()) ?? '', /Share of the 5 conversions delivered that carried each signal/);
  const row = (name: string) => quality.locator(`li[data-identifier="${name}"]`);
  assert.match((await row('fbc').textContent()) ?? '', /fbc \(Meta click id\)\s*60 %/);
  assert.match((await row('ip').textContent()) ?? '', /IP address\s*100 %/);
  assert.match((await row('email').textContent()) ?? '', /email \(hashed\)\s*0 %/);
  assert.equal(await row('fbc').getAttribute('class'), 'low');
  assert.equal(await row('ip').getAttribute('class'), '');
  assert.equal(await row('fbc').getByRole('img').getAttribute('aria-label'), 'fbc: 60 %');
  const hint = quality.locator('[data-hint="fbc"]');
  assert.match((await hint.textContent()) ?? '', /^fbc missing on 40 % — add fbclid to your links/);
  assert.equal(await quality.locator('[data-hint="ip"]').count(), 0, 'no hint where every conversion carried the signal');
  // Most useful first: fbc, then email; the rest wait behind "more suggestions".
  assert.deepEqual(await quality.locator(':scope > ul.hints [data-hint]').evaluateAll((els) => els.map((e) => e.getAttribute('data-hint'))), ['fbc', 'email']);
  const more = quality.locator('details.more-hints');
  assert.equal(await more.locator('[data-hint="fbp"]').isVisible(), false);
  await more.getByText('5 more suggestions').click();
  assert.match((await more.locator('[data-hint="fbp"]').textContent()) ?? '', /_fbp cookie/);
  await shot(page, 'destinations-match-quality');
  assert.deepEqual(pageErrors(page), [], 'no script error or CSP violation');
  await context.close();
});
