import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ADJUST_METHOD, ADJUST_SERVICE } from './adjust-map';
import { GOOGLE_ADS_API_VERSION, UPLOAD_METHOD, UPLOAD_SERVICE } from './map';

/**
 * What client.ts relies on inside google-ads-api / google-ads-node / google-gax, checked against
 * the installed versions. An upgrade that moves any of it fails here, by name, before the
 * behavioural contract test (google-ads.contract.test.ts) fails in a less obvious way.
 */
const require = createRequire(import.meta.url);
const pkg = (name: string, from = require) => JSON.parse(readFileSync(from.resolve(`${name}/package.json`), 'utf8')) as { version: string };

describe('google-ads library seam', () => {
  it('google-ads-api and google-ads-node are the same release, generated for the pinned API version only', () => {
    const api = pkg('google-ads-api').version;
    assert.equal(pkg('google-ads-node').version, api, 'google-ads-api and google-ads-node must move together');
    const protos = require('google-ads-node/build/protos/protos.json') as {
      nested: { google: { nested: { ads: { nested: { googleads: { nested: Record<string, unknown> } } } } } };
    };
    const versions = Object.keys(protos.nested.google.nested.ads.nested.googleads.nested);
    assert.deepEqual(
      versions,
      [GOOGLE_ADS_API_VERSION],
      `google-ads-node ${api} ships ${versions.join(', ')}: update GOOGLE_ADS_API_VERSION (map.ts), the README and the fake`,
    );
  });

  it('the upload service and method exist in that version, on the client class client.ts builds', async () => {
    const node = (await import('google-ads-node')) as unknown as Record<string, unknown>;
    const Client = (node.ConversionUploadServiceClient ?? (node.default as Record<string, unknown>)?.ConversionUploadServiceClient) as
      | { prototype: Record<string, unknown>; servicePath?: string }
      | undefined;
    assert.equal(typeof Client, 'function', 'google-ads-node exports ConversionUploadServiceClient');
    assert.equal(typeof Client?.prototype.uploadClickConversions, 'function');
    assert.equal(typeof Client?.prototype.close, 'function');
    const protos = require('google-ads-node/build/protos/protos.json');
    const service = UPLOAD_SERVICE.split('.').reduce<{ nested?: Record<string, unknown>; methods?: Record<string, unknown> } | undefined>(
      (node_, part) => (node_?.nested?.[part] as never) ?? undefined,
      protos,
    );
    assert.ok(service?.methods?.[UPLOAD_METHOD], `${UPLOAD_SERVICE}/${UPLOAD_METHOD} is in the protos`);
  });

  it('the adjustment service, its method and request class exist too (adjust-map.ts, client.ts sendAdjustments)', async () => {
    const node = (await import('google-ads-node')) as unknown as Record<string, unknown>;
    const Client = (node.ConversionAdjustmentUploadServiceClient ?? (node.default as Record<string, unknown>)?.ConversionAdjustmentUploadServiceClient) as
      | { prototype: Record<string, unknown> }
      | undefined;
    assert.equal(typeof Client?.prototype.uploadConversionAdjustments, 'function', 'google-ads-node exports ConversionAdjustmentUploadServiceClient');
    const protos = require('google-ads-node/build/protos/protos.json');
    const service = ADJUST_SERVICE.split('.').reduce<{ nested?: Record<string, unknown>; methods?: Record<string, unknown> } | undefined>(
      (node_, part) => (node_?.nested?.[part] as never) ?? undefined,
      protos,
    );
    assert.ok(service?.methods?.[ADJUST_METHOD], `${ADJUST_SERVICE}/${ADJUST_METHOD} is in the protos`);
    const mod = (await import('google-ads-api')) as unknown as Record<string, unknown>;
    const api = ('Customer' in mod ? mod : mod.default) as { Customer: { prototype: object }; services: Record<string, unknown> };
    assert.equal(typeof api.services.UploadConversionAdjustmentsRequest, 'function');
    let getter: PropertyDescriptor | undefined;
    for (let p: object | null = api.Customer.prototype; p && !getter; p = Object.getPrototypeOf(p))
      getter = Object.getOwnPropertyDescriptor(p, 'conversionAdjustmentUploads');
    assert.equal(typeof getter?.get, 'function', 'Customer.conversionAdjustmentUploads');
  });

  it('Customer still has the protected members ConfigurableCustomer overrides', async () => {
    const mod = (await import('google-ads-api')) as unknown as Record<string, unknown>;
    const api = ('Customer' in mod ? mod : mod.default) as {
      Customer: { prototype: object };
      services: Record<string, unknown>;
      errors: Record<string, unknown>;
    };
    const members = new Map<string, PropertyDescriptor>();
    for (let p: object | null = api.Customer.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) if (!members.has(k)) members.set(k, d);
    }
    assert.equal(typeof members.get('loadService')?.value, 'function', 'Service.loadService(service) is the endpoint seam');
    assert.equal(typeof members.get('callHeaders')?.get, 'function', 'Service.callHeaders getter carries the metadata');
    assert.equal(typeof members.get('getGoogleAdsError')?.value, 'function', 'Service.getGoogleAdsError decodes the failure trailer');
    assert.equal(typeof members.get('conversionUploads')?.get, 'function', 'Customer.conversionUploads');
    assert.equal(typeof api.services.UploadClickConversionsRequest, 'function');
    const failure = api.errors.GoogleAdsFailure as { decode?: unknown; toObject?: unknown };
    assert.equal(typeof failure.decode, 'function');
    assert.equal(typeof failure.toObject, 'function');
  });

  it('google-ads-node uses the google-gax copy client.ts takes grpc credentials from', () => {
    const fromNode = createRequire(require.resolve('google-ads-node'));
    assert.equal(fromNode.resolve('google-gax'), require.resolve('google-gax'), 'one google-gax: credentials from another copy would be refused');
  });
});
