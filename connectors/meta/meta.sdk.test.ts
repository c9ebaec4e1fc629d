import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bizSdk from 'facebook-nodejs-business-sdk';
import { META_API_VERSION } from './schema';

/**
 * The connector pins the Graph version the SDK speaks (schema.ts). An SDK upgrade that moves its
 * hard-coded version fails here, so the pin, the README and test/fakes/meta.ts move with it.
 */
describe('meta SDK version', () => {
  it('facebook-nodejs-business-sdk speaks the pinned Graph version', () => {
    const api = (bizSdk as unknown as { FacebookAdsApi: { VERSION: string } }).FacebookAdsApi;
    assert.equal(api.VERSION, META_API_VERSION, `the SDK speaks ${api.VERSION}: update META_API_VERSION, connectors/meta/README.md and test/fakes/meta.ts`);
  });
});
