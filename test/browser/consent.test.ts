import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startConsoleGateway, type ConsoleGateway } from './console-gateway';
import { ensureUiBuilt, go, launchWith, openPage, pageErrors, sees, shot, signIn } from './harness';

/** The conversion page shows the consent a conversion carries, and says when it carries none. */
let browser: Browser;
let cg: ConsoleGateway;
let page: Page;
let close: () => Promise<void>;

before(async () => {
  await ensureUiBuilt();
  [browser, cg] = await launchWith(startConsoleGateway());
  const opened = await openPage(browser);
  page = opened.page;
  close = () => opened.context.close();
  await signIn(page, cg.g.url);
});
after(async () => {
  await close?.();
  await browser?.close();
  await cg?.close();
});

test("the conversion page lists the consent signals: the postback's, the click's, and what was not said", async () => {
  const clickId = await cg.g.click('demo', { gclid: 'G-ui-consent', consent_ad_personalization: 'granted' });
  const pb = await cg.g.postback({ click_id: clickId, tx_id: 'tx-ui-consent', consent_ad_user_data: 'denied' });
  assert.equal(pb.status, 200);
  await go(page, cg.g.url, `/conversions/${pb.body.conversion_id}`);
  await sees(page, 'Conversion tx-ui-consent');
  const box = page.locator('.consent');
  const text = (await box.textContent()) ?? '';
  assert.match(text, /ad user data \(Google\)denied/);
  assert.match(text, /ad personalization \(Google\)granted/, "the click's signal");
  assert.match(text, /limited data use \(Meta, TikTok, Reddit\)not said/);
  assert.match(text, /no hashed email or phone is sent to Google/);
  assert.deepEqual(pageErrors(page), []);
  await shot(page, 'consent-conversion');
});
