import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../api-error';
import { parseConfig, type SourceConfig } from '../config';
import { parsePostback } from './postback-input';

function source(extra: Record<string, unknown> = {}): SourceConfig {
  return parseConfig({ admin: { token: 'admin-token-0123456789' }, sources: [{ id: 'net', secret: 'secret-0123456789abc', ...extra }] })
    .sources[0] as SourceConfig;
}
const net = source();

function rejection(params: Record<string, unknown>, src = net): ApiError {
  try {
    parsePostback(params, src);
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(params).slice(0, 80)}`);
}

test('valid postbacks are read with their defaults and normalised', () => {
  const p = parsePostback(
    { tx_id: 'T1', click_id: 'abc', payout: '12.50', currency: 'eur', status: 'Approved', offer_id: '42', event: 'sale', key: 'k', sub1: 'x' },
    net,
  );
  assert.equal(p.transactionId, 'T1');
  assert.equal(p.clickId, 'abc');
  assert.equal(p.payout, '12.50', 'payout stays the decimal string');
  assert.equal(p.currency, 'EUR');
  assert.equal(p.status, 'approved');
  assert.equal(p.offerId, '42');
  assert.equal(p.event, 'sale');
  assert.deepEqual(p.extra, { sub1: 'x' }, 'the key and mapped names are not extras');
  assert.deepEqual(p.warnings, []);

  const minimal = parsePostback({ tx_id: 'T2' }, net);
  assert.equal(minimal.payout, undefined);
  assert.equal(minimal.currency, undefined, 'the source default is applied by intake');
  assert.equal(parsePostback({ tx_id: '订单-😀' }, net).transactionId, '订单-😀');
  for (const payout of ['0', '0.10', '123456789012.12345678']) assert.equal(parsePostback({ tx_id: 't', payout }, net).payout, payout);
  // A JSON body may carry numbers.
  const numeric = parsePostback({ tx_id: 123, payout: 12.5, offer_id: 42, sub1: 7 }, net);
  assert.equal(numeric.transactionId, '123');
  assert.equal(numeric.payout, '12.5');
  assert.equal(numeric.offerId, '42');
  assert.deepEqual(numeric.extra, { sub1: '7' });
});

test('malformed postbacks: status, code and the parameter named as the network sent it', () => {
  const cases: Array<{ name: string; params: Record<string, unknown>; status: number; code: string; field: string }> = [
    { name: 'missing tx_id', params: { click_id: 'c' }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
    { name: 'empty tx_id', params: { tx_id: '' }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
    { name: 'tx_id too long', params: { tx_id: 'x'.repeat(129) }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
    { name: 'repeated tx_id', params: { tx_id: ['a', 'b'] }, status: 400, code: 'INVALID_POSTBACK', field: 'tx_id' },
    { name: 'payout abc', params: { tx_id: 't', payout: 'abc' }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'payout -1', params: { tx_id: 't', payout: '-1' }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'payout 1e5', params: { tx_id: 't', payout: '1e5' }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'payout 12,50', params: { tx_id: 't', payout: '12,50' }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'payout .5', params: { tx_id: 't', payout: '.5' }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'currency XYZ', params: { tx_id: 't', currency: 'XYZ' }, status: 400, code: 'INVALID_POSTBACK', field: 'currency' },
    { name: 'currency US', params: { tx_id: 't', currency: 'US' }, status: 400, code: 'INVALID_POSTBACK', field: 'currency' },
    { name: 'status unknown', params: { tx_id: 't', status: 'paid' }, status: 400, code: 'INVALID_POSTBACK', field: 'status' },
    { name: 'platform unknown', params: { tx_id: 't', platform: 'myspace' }, status: 400, code: 'INVALID_POSTBACK', field: 'platform' },
    { name: 'control character in tx_id', params: { tx_id: 'a\u0001b' }, status: 422, code: 'INVALID_CHARACTERS', field: 'tx_id' },
    { name: 'control character in an extra', params: { tx_id: 't', sub2: 'a\rb' }, status: 422, code: 'INVALID_CHARACTERS', field: 'sub2' },
    { name: 'DEL in an extra', params: { tx_id: 't', sub3: 'a\u007fb' }, status: 422, code: 'INVALID_CHARACTERS', field: 'sub3' },
    { name: 'a lone low surrogate', params: { tx_id: 't', sub4: '\udc00' }, status: 422, code: 'INVALID_CHARACTERS', field: 'sub4' },
    { name: 'object value (JSON body)', params: { tx_id: 't', sub1: { a: 1 } }, status: 400, code: 'INVALID_POSTBACK', field: 'sub1' },
    { name: 'boolean value (JSON body)', params: { tx_id: 't', sub1: true }, status: 400, code: 'INVALID_POSTBACK', field: 'sub1' },
    { name: 'negative JSON number payout', params: { tx_id: 't', payout: -1 }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'huge JSON number payout (exponent form)', params: { tx_id: 't', payout: 1e21 }, status: 400, code: 'INVALID_POSTBACK', field: 'payout' },
    { name: 'macro in click_id', params: { tx_id: 't', click_id: '{sub5}' }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'click_id' },
    { name: 'wrong-case macro', params: { tx_id: 't', click_id: '{Sub5}' }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'click_id' },
    { name: 'macro in tx_id', params: { tx_id: '{transaction_id}' }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'tx_id' },
    { name: 'still percent-encoded macro', params: { tx_id: 't', click_id: '%7Bsub5%7D' }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'click_id' },
    { name: 'macro in payout', params: { tx_id: 't', payout: '{payout}' }, status: 422, code: 'UNSUBSTITUTED_MACRO', field: 'payout' },
  ];
  for (const c of cases) {
    const err = rejection(c.params);
    assert.equal(err.status, c.status, c.name);
    assert.equal(err.code, c.code, c.name);
    const fields = (err.details as Array<{ field: string }>).map((d) => d.field);
    assert.ok(fields.includes(c.field), `${c.name}: ${JSON.stringify(fields)}`);
    assert.ok(err.message.includes(c.field), `${c.name}: message names the parameter: ${err.message}`);
  }
});

test('per-source parameter names', () => {
  const custom = source({ params: { clickId: 'sub5', transactionId: 'transaction_id', payout: 'amount', key: 'token' } });
  const p = parsePostback({ sub5: 'C', transaction_id: 'T', amount: '3.5', tx_id: 'ignored', token: 's' }, custom);
  assert.equal(p.clickId, 'C');
  assert.equal(p.transactionId, 'T');
  assert.equal(p.payout, '3.5');
  assert.deepEqual(p.extra, { tx_id: 'ignored' }, 'the default name is just another parameter here');
  const err = rejection({ tx_id: 'T' }, custom);
  assert.equal((err.details as Array<{ field: string }>)[0]?.field, 'transaction_id');
  const macro = rejection({ transaction_id: 'T', amount: '{amount}' }, custom);
  assert.equal(macro.code, 'UNSUBSTITUTED_MACRO');
  assert.match(macro.message, /"amount"/);
});

test('warnings: an empty click id and macro-looking extras are accepted but flagged', () => {
  const p = parsePostback({ tx_id: 't', click_id: '', sub3: '{aff_sub3}' }, net);
  assert.equal(p.clickId, '');
  assert.equal(p.warnings.length, 2);
  assert.match(p.warnings[0] ?? '', /click_id/);
  assert.match(p.warnings[1] ?? '', /sub3/);
});

test('at most 40 other parameters', () => {
  const many: Record<string, string> = { tx_id: 't' };
  for (let i = 0; i < 41; i++) many[`p${i}`] = 'v';
  assert.equal(rejection(many).status, 400);
  delete many.p40;
  assert.equal(parsePostback(many, net).transactionId, 't');
});

test('consent signals: the words a network sends, renamed per source, bad values named', () => {
  const words = parsePostback({ tx_id: 't', consent_ad_user_data: 'GRANTED', consent_ad_personalization: '0', limited_data_use: 'true' }, net);
  assert.deepEqual(words.consent, { adUserData: 'granted', adPersonalization: 'denied', limitedDataUse: true });
  assert.deepEqual(words.extra, {}, 'consent parameters are not other parameters');
  const json = parsePostback({ tx_id: 't', consent_ad_user_data: 1, limited_data_use: 0 }, net);
  assert.deepEqual(json.consent, { adUserData: 'granted', limitedDataUse: false }, 'JSON numbers are read like their strings');
  assert.deepEqual(parsePostback({ tx_id: 't', consent_ad_user_data: '', limited_data_use: ' ' }, net).consent, {}, 'an empty macro value is "not said"');
  assert.deepEqual(parsePostback({ tx_id: 't' }, net).consent, {});

  for (const [field, value] of [
    ['consent_ad_user_data', 'yes please'],
    ['consent_ad_personalization', 'maybe'],
    ['limited_data_use', 'granted'],
    ['consent_ad_user_data', ['1', '0']],
  ] as const) {
    const err = rejection({ tx_id: 't', [field]: value });
    assert.equal(err.status, 400, `${field}=${String(value)}`);
    assert.equal(err.code, 'INVALID_POSTBACK');
    assert.equal((err.details as Array<{ field: string }>)[0]?.field, field);
    assert.match(err.message, new RegExp(field));
  }
  assert.equal(rejection({ tx_id: 't', consent_ad_user_data: '{consent}' }).code, 'UNSUBSTITUTED_MACRO');

  const renamed = source({ params: { consentAdUserData: 'gdpr_ud', consentAdPersonalization: 'gdpr_ap', limitedDataUse: 'ccpa_ldu' } });
  const r = parsePostback({ tx_id: 't', gdpr_ud: 'denied', gdpr_ap: 'granted', ccpa_ldu: '1', consent_ad_user_data: 'granted' }, renamed);
  assert.deepEqual(r.consent, { adUserData: 'denied', adPersonalization: 'granted', limitedDataUse: true });
  assert.deepEqual(r.extra, { consent_ad_user_data: 'granted' }, 'the default name is just another parameter on a renamed source');
  assert.equal((rejection({ tx_id: 't', ccpa_ldu: 'no' }, renamed).details as Array<{ field: string }>)[0]?.field, 'ccpa_ldu');
});
