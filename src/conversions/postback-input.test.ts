import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../api-error';
import { parseConfig, type SourceConfig } from '../config';
import { parsePostback, postbackSchema, readPostbackFields } from './postback-input';

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

test('readPostbackFields gives what postbackSchema.safeParse gives (cases and 30,000 random postbacks)', () => {
  let seed = 12;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
  const around = (max: number) => ['', 'x', 'x'.repeat(max - 1), 'x'.repeat(max), 'x'.repeat(max + 1)];
  const odd = [undefined, 12, null, true, ['a', 'b'], { a: 1 }];
  const choices: Record<string, readonly unknown[]> = {
    transactionId: [...around(128), 'T-1', '订单-😀', ...odd],
    clickId: [...around(512), '01a2323584537416af2f4e4ad74463e2', ...odd],
    payout: [...around(32), '0', '12.50', '123456789012.12345678', '1234567890123', '1.123456789', '.5', '1e5', '-1', '12,50', '١٢', ...odd],
    currency: ['usd', 'USD', 'UsD', 'eur', 'xyz', 'US', 'USDX', 'ß', 'ﬀ', 'i̇', '', ...odd],
    offerId: [...around(128), ...odd],
    event: [...around(64), 'sale', ...odd],
    status: ['approved', 'APPROVED', 'Pending', 'rejected', 'paid', '', 'x'.repeat(17), 'İ', 'approveD', ...odd],
    platform: ['google', 'Meta', 'TIKTOK', 'reddit', 'myspace', '', 'x'.repeat(17), ...odd],
  };
  const extras = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const n = pick([0, 1, 3, 39, 40, 41]);
    for (let i = 0; i < n; i++)
      out[rand(20) === 0 ? 'k'.repeat(pick([64, 65])) : `p${i}`] = pick(['v', '', 'v'.repeat(512), 'v'.repeat(513), 7, ['a'], undefined]);
    return out;
  };
  const same = (input: Record<string, unknown> & { extra: Record<string, unknown> }) => {
    const fast = readPostbackFields(input);
    const zod = postbackSchema.safeParse(input);
    const shown = JSON.stringify(input).slice(0, 200);
    assert.equal(fast.success, zod.success, shown);
    assert.deepEqual(fast.data, zod.data, shown);
    assert.deepEqual(fast.error?.issues, zod.error?.issues, shown);
  };
  same({ transactionId: 'T', extra: {} });
  same({
    transactionId: 'T',
    clickId: 'c',
    payout: '12.50',
    currency: 'eur',
    offerId: 'o',
    event: 'e',
    status: 'Approved',
    platform: 'Google',
    extra: { sub1: 'x' },
  });
  for (let i = 0; i < 30_000; i++) {
    const input: Record<string, unknown> & { extra: Record<string, unknown> } = { extra: extras() };
    for (const [field, values] of Object.entries(choices)) {
      // Mostly valid, so the fast path's acceptances are tested as much as its refusals.
      const v = rand(3) === 0 ? pick(values) : field === 'transactionId' ? 'T' : rand(2) === 0 ? undefined : pick(values.slice(0, 4));
      if (v !== undefined || rand(4) === 0) input[field] = v;
    }
    same(input);
  }
});
