import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { waitForDeliveries } from '../helpers/gateway';
import { startConsoleGateway, type ConsoleGateway } from './console-gateway';
import { ensureUiBuilt, go, launchWith, openPage, pageErrors, shot, signIn } from './harness';

/**
 * Issue 11 item 6 on the conversion page: a conversion delivered to the tracker (http-postback,
 * no way to take a conversion back), then rejected by the network, says where it still counts.
 * (The Google Ads retraction itself is end-to-end in connectors/google-ads/google-ads.adjustments.e2e.test.ts.)
 */
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

describe('conversion page: corrections (browser)', () => {
  it('a conversion rejected after delivery shows that it cannot be retracted at the tracker', async () => {
    const clickId = await cg.g.click('demo', { gclid: 'gclid-corrections-1' });
    const first = await cg.g.postback({ click_id: clickId, payout: '12.50', tx_id: 'tx-corrections-1' });
    await waitForDeliveries(cg.g, first.body.conversion_id, 'succeeded');
    const rejected = await cg.g.postback({ click_id: clickId, tx_id: 'tx-corrections-1', status: 'rejected' });
    assert.equal(rejected.body.updated, true);

    const { context, page } = await openPage(browser);
    await signIn(page, cg.g.url);
    await go(page, cg.g.url, `/conversions/${first.body.conversion_id}`);
    const row = page.locator('[data-correction="tracker:retraction"]');
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /cannot be corrected/);
    assert.match(text, /cannot be retracted: the platform has no way to take a conversion back — it still counts there/);
    await shot(page, 'conversion-corrections');
    assert.deepEqual(pageErrors(page), [], 'no script error or CSP violation');
    await context.close();
  });
});
