import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config';
import type { PartnerPostback } from '../network/model';
import { diagnose, type DoctorEnv } from './diagnose';
import { doctorInputSchema, isOk } from './findings';
import { doctorGuard } from './guard';
import { didYouMean } from './macro-reference';

const SECRET = 'net-secret-0123456789abcdef';
const config = parseConfig({
  admin: { token: 'admin-token-0123456789' },
  server: { publicUrl: 'https://gw.example.com' },
  sources: [
    { id: 'net', secret: SECRET },
    { id: 'custom', secret: 'custom-secret-0123456789', params: { clickId: 'cid', transactionId: 'txn' } },
  ],
});
const pb = (id: number, over: Partial<PartnerPostback>): PartnerPostback => ({
  id,
  partnerId: 7,
  offerId: 0,
  level: 'global',
  type: 'conversion',
  deliveryMethod: 'postback',
  status: 'active',
  postbackUrl: 'https://track.example.com/conv?cid={sub5}&tx={transaction_id}',
  httpMethod: 'GET',
  postBody: null,
  postContentType: 'application/x-www-form-urlencoded',
  htmlCode: null,
  description: null,
  delayMs: 0,
  eventId: 0,
  deactivatedReason: null,
  deactivatedAt: null,
  failureStreak: [],
  lastFailureAt: null,
  lastSuccessAt: null,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});
const env: DoctorEnv = {
  sources: config.sources,
  publicUrl: 'https://gw.example.com',
  gate: doctorGuard(config),
  postbacks: [pb(3, {}), pb(4, { status: 'deleted', postbackUrl: 'https://old.example.com/conv?cid={sub5}&tx={transaction_id}' })],
  destinations: [{ id: 'tracker', connector: 'http-postback', url: 'https://rt.example.com/postback?clickid={click_id}&sum={payout}&tx={tx_id}' }],
};

const T = 'https://tracker.example.com/conversion';
const GOOD = `${T}?click_id={sub5}&payout={payout}&offer_id={offer_id}&tx_id={transaction_id}`;
const INBOUND = `https://gw.example.com/postback/net?key=${SECRET}&click_id={sub5}&tx_id={transaction_id}&payout={payout}&offer_id={offer_id}`;

/** [what, url, kind, context, the codes expected (exactly, in any order), the text the first one marks]. */
type Row = [string, string, 'inbound' | 'outbound' | 'pixel', Record<string, unknown>, string[], string?];
const rows: Row[] = [
  // Clean: no finding at all.
  ['the postback guide generic template', GOOD, 'outbound', {}, []],
  ['generic template, specific scope', GOOD, 'outbound', { scope: 'specific', partner_id: 7, offer_id: 2 }, []],
  ['all sub macros and adv', `${T}?s1={sub1}&s10={sub10}&a={adv3}&cid={sub5}&tx={transaction_id}&p={payout}&ev={event_name}`, 'outbound', {}, []],
  ['fbclid in a Meta-only specific postback', `${T}?fb={fbclid}&tx={transaction_id}&p={payout}`, 'outbound', { scope: 'specific' }, []],
  [
    'fbclid in a global postback with Meta traffic only',
    `${T}?fb={fbclid}&tx={transaction_id}&p={payout}`,
    'outbound',
    { scope: 'global', traffic_sources: ['meta'] },
    [],
  ],
  [
    'closeloop http-postback destination',
    'https://rt2.example.com/pb?clickid={click_id}&sum={payout}&tx={tx_id}',
    'outbound',
    { destination: 'tracker2', macros: 'closeloop' },
    [],
  ],
  ['inbound URL of source net', INBOUND, 'inbound', {}, []],
  [
    'inbound with custom parameter names',
    `https://gw.example.com/postback/custom?key=custom-secret-0123456789&cid={sub5}&txn={transaction_id}&payout={payout}`,
    'inbound',
    {},
    [],
  ],
  ['https image pixel', '<img src="https://px.example.com/p?tid={transaction_id}&c={sub5}" width="1" height="1">', 'pixel', {}, []],
  ['bare pixel URL', 'https://px.example.com/p?tid={transaction_id}', 'pixel', {}, []],
  ['a port and a path with a macro', `https://tracker.example.com:8443/c/{sub5}?tx={transaction_id}&p={payout}`, 'outbound', {}, []],
  // Failure mode 2: wrong macro names, case-sensitive.
  ['{Sub5}', `${T}?click_id={Sub5}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['UNKNOWN_MACRO'], '{Sub5}'],
  ['{sub_5}', `${T}?click_id={sub_5}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['UNKNOWN_MACRO'], '{sub_5}'],
  ['{sub-5}', `${T}?click_id={sub-5}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['UNKNOWN_MACRO'], '{sub-5}'],
  [
    '{Transaction_ID}',
    `${T}?click_id={sub5}&payout={payout}&tx_id={Transaction_ID}`,
    'outbound',
    {},
    ['UNKNOWN_MACRO', 'MISSING_TRANSACTION_ID'],
    '{Transaction_ID}',
  ],
  ['{payot} typo', `${T}?click_id={sub5}&payout={payot}&tx_id={transaction_id}`, 'outbound', {}, ['UNKNOWN_MACRO', 'MISSING_PAYOUT'], '{payot}'],
  ['no near macro', `${T}?click_id={sub5}&payout={payout}&tx_id={transaction_id}&x={zzqqxx}`, 'outbound', {}, ['UNKNOWN_MACRO'], '{zzqqxx}'],
  ['{click_id} is not an Everflow macro', `${T}?click_id={click_id}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['UNKNOWN_MACRO'], '{click_id}'],
  ['double braces', `${T}?click_id={{sub5}}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['DOUBLE_BRACES'], '{{sub5}}'],
  ['unclosed brace', `${T}?click_id={sub5&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['UNCLOSED_BRACE'], '{sub5'],
  // URL-encoded braces.
  ['%7Bsub5%7D', `${T}?click_id=%7Bsub5%7D&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['ENCODED_MACRO'], '%7Bsub5%7D'],
  ['%7bsub5%7d lowercase', `${T}?click_id=%7bsub5%7d&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['ENCODED_MACRO'], '%7bsub5%7d'],
  ['double-encoded %257B', `${T}?click_id=%257Bsub5%257D&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['ENCODED_MACRO'], '%257Bsub5%257D'],
  // Required parameters.
  ['no click id', `${T}?payout={payout}&order={order_id}`, 'outbound', {}, ['MISSING_CLICK_ID']],
  ['no transaction id', `${T}?click_id={sub5}&payout={payout}`, 'outbound', {}, ['MISSING_TRANSACTION_ID']],
  ['pixel without transaction id', '<img src="https://px.example.com/p?c={sub5}">', 'pixel', {}, ['MISSING_TRANSACTION_ID']],
  ['inbound without key', 'https://gw.example.com/postback?click_id={sub5}&tx_id={transaction_id}&payout={payout}', 'inbound', {}, ['MISSING_KEY']],
  [
    'inbound with {secret} placeholder',
    'https://gw.example.com/postback/net?key={secret}&click_id={sub5}&tx_id={transaction_id}&payout={payout}',
    'inbound',
    {},
    ['KEY_PLACEHOLDER'],
    'key={secret}',
  ],
  [
    'inbound with a wrong key',
    'https://gw.example.com/postback/net?key=wrong-secret&click_id={sub5}&tx_id={transaction_id}&payout={payout}',
    'inbound',
    {},
    ['KEY_MISMATCH'],
    'key=wrong-secret',
  ],
  [
    'inbound without tx and payout',
    `https://gw.example.com/postback/net?key=${SECRET}&click_id={sub5}`,
    'inbound',
    {},
    ['MISSING_TRANSACTION_ID', 'MISSING_PAYOUT'],
  ],
  [
    'inbound with misnamed click id',
    `https://gw.example.com/postback/net?key=${SECRET}&clickid={sub5}&tx_id={transaction_id}&payout={payout}`,
    'inbound',
    {},
    ['MISSING_CLICK_ID'],
    'clickid={sub5}',
  ],
  [
    'inbound for an unknown source',
    `https://gw.example.com/postback/nope?key=${SECRET}&click_id={sub5}&tx_id={transaction_id}&payout={payout}`,
    'inbound',
    {},
    ['UNKNOWN_SOURCE'],
  ],
  [
    'inbound to another host',
    `https://other.example.com/postback/net?key=${SECRET}&click_id={sub5}&tx_id={transaction_id}&payout={payout}`,
    'inbound',
    {},
    ['NOT_THIS_GATEWAY'],
    'other.example.com',
  ],
  [
    'inbound with a fixed click id',
    `https://gw.example.com/postback/net?key=${SECRET}&click_id=abc&tx_id={transaction_id}&payout={payout}`,
    'inbound',
    {},
    ['FIXED_VALUE'],
    'click_id=abc',
  ],
  // Global postbacks with a one-source macro (the most common deactivation in a network's postback guide,
  // https://www.ourdreamaiaffiliate.com/onboarding/postbacks).
  [
    '{fbclid} in a global postback',
    `${T}?fb={fbclid}&tx={transaction_id}&p={payout}`,
    'outbound',
    { scope: 'global', traffic_sources: ['meta', 'google'] },
    ['SOURCE_SPECIFIC_MACRO_IN_GLOBAL'],
    '{fbclid}',
  ],
  [
    '{gclid} in a global_offer postback',
    `${T}?g={gclid}&tx={transaction_id}&p={payout}`,
    'outbound',
    { scope: 'global_offer' },
    ['SOURCE_SPECIFIC_MACRO_IN_GLOBAL'],
    '{gclid}',
  ],
  ['{ttclid} without a scope', `${T}?t={ttclid}&tx={transaction_id}&p={payout}`, 'outbound', {}, ['SOURCE_SPECIFIC_MACRO'], '{ttclid}'],
  // Duplicates.
  [
    'same destination as stored postback #3',
    'https://TRACK.example.com/conv?c={sub5}&t={transaction_id}&p={payout}',
    'outbound',
    { scope: 'specific', partner_id: 7, offer_id: 2 },
    ['DUPLICATE_POSTBACK'],
  ],
  [
    'editing #3 itself is no duplicate',
    'https://track.example.com/conv?c={sub5}&t={transaction_id}&p={payout}',
    'outbound',
    { scope: 'global', partner_id: 7, postback_id: 3 },
    [],
  ],
  [
    'another partner is no duplicate',
    'https://track.example.com/conv?c={sub5}&t={transaction_id}&p={payout}',
    'outbound',
    { scope: 'specific', partner_id: 8, offer_id: 2 },
    [],
  ],
  [
    'a deleted postback is no duplicate',
    'https://old.example.com/conv?c={sub5}&t={transaction_id}&p={payout}',
    'outbound',
    { scope: 'global', partner_id: 7 },
    [],
  ],
  [
    'same URL as destination "tracker"',
    'https://rt.example.com/postback?clickid={click_id}&sum={payout}&tx={tx_id}',
    'outbound',
    { macros: 'closeloop' },
    ['DUPLICATE_DESTINATION'],
  ],
  // Private / loopback / metadata hosts.
  ['loopback IP', `https://127.0.0.1/conversion?click_id={sub5}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['PRIVATE_HOST'], '127.0.0.1'],
  ['decimal loopback', `http://2130706433/conversion?click_id={sub5}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['PRIVATE_HOST'], '2130706433'],
  [
    'cloud metadata',
    'http://169.254.169.254/latest/meta-data?click_id={sub5}&payout={payout}&tx_id={transaction_id}',
    'outbound',
    {},
    ['PRIVATE_HOST'],
    '169.254.169.254',
  ],
  ['private 10/8', 'https://10.1.2.3/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['PRIVATE_HOST']],
  ['localhost', 'https://localhost:8080/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['PRIVATE_HOST'], 'localhost:8080'],
  ['IPv6 loopback', 'https://[::1]/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['PRIVATE_HOST']],
  ['GCP metadata name', 'http://metadata.google.internal/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['PRIVATE_HOST']],
  // Malformed URLs.
  ['three slashes', 'http:///x?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['EMPTY_HOST']],
  ['a space inside', `${T}?click_id={sub5}&payout= {payout}&tx_id={transaction_id}`, 'outbound', {}, ['URL_HAS_SPACES'], ' '],
  ['a trailing line break', `${GOOD}\n`, 'outbound', {}, ['CONTROL_CHARACTER']],
  ['no scheme', 'tracker.example.com/conversion?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['MISSING_SCHEME']],
  ['colon missing', 'https//tracker.example.com/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['MALFORMED_SCHEME']],
  ['one slash', 'https:/tracker.example.com/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['MALFORMED_SCHEME']],
  ['ftp scheme', 'ftp://tracker.example.com/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['UNSUPPORTED_SCHEME']],
  ['bad domain', 'https://tracker..example com/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}', 'outbound', {}, ['URL_HAS_SPACES', 'MALFORMED_URL']],
  ['second question mark', `${T}?click_id={sub5}?payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['SECOND_QUESTION_MARK'], '?'],
  ['fragment', `${T}?click_id={sub5}&payout={payout}#tx_id={transaction_id}`, 'outbound', {}, ['FRAGMENT', 'MISSING_TRANSACTION_ID']],
  ['parameter twice', `${T}?click_id={sub5}&click_id={sub4}&payout={payout}&tx_id={transaction_id}`, 'outbound', {}, ['DUPLICATE_PARAMETER']],
  ['http pixel: mixed content', '<img src="http://px.example.com/p?tid={transaction_id}">', 'pixel', {}, ['PIXEL_MIXED_CONTENT']],
  ['pixel without a URL', '<script>fire()</script>', 'pixel', {}, ['PIXEL_WITHOUT_URL']],
  ['empty', '', 'outbound', {}, ['EMPTY_URL']],
];

for (const [what, url, kind, context, codes, marked] of rows) {
  test(`doctor: ${what}`, () => {
    const findings = diagnose(doctorInputSchema.parse({ url, kind, context }), env);
    assert.deepEqual(findings.map((f) => f.code).sort(), [...codes].sort(), JSON.stringify(findings, null, 1));
    for (const f of findings) {
      assert.ok(f.message.length > 20 && f.fix.length > 5, `${f.code} has a message and a fix`);
      assert.ok(!f.message.includes(SECRET) && !f.fix.includes(SECRET), 'the secret is never in a finding');
    }
    if (marked) {
      const first = findings.find((f) => f.code === codes[0]);
      assert.ok(first?.position, `${codes[0]} has a position`);
      assert.equal(url.slice(first.position.start, first.position.end), marked);
    }
    assert.equal(isOk(findings), !findings.some((f) => f.severity === 'error'));
  });
}

test('doctor table covers at least 30 URLs', () => assert.ok(rows.length >= 30));

test('did-you-mean: the postback guide spellings and aliases, case-sensitive', () => {
  for (const typo of ['Sub5', 'sub_5', 'sub-5', 'SUB5', 'sub 5']) assert.equal(didYouMean(typo, 'everflow'), 'sub5', typo);
  assert.equal(didYouMean('transactionid', 'everflow'), 'transaction_id');
  assert.equal(didYouMean('click_id', 'everflow'), 'sub5');
  assert.equal(didYouMean('sub5', 'closeloop'), 'click_id');
  assert.equal(didYouMean('zzqqxx', 'everflow'), null);
});

test('doctor: a private target allowed by network.allowPrivateTargets is not refused', () => {
  const input = doctorInputSchema.parse({ url: 'https://127.0.0.1/c?click_id={sub5}&payout={payout}&tx_id={transaction_id}' });
  const open = parseConfig({ admin: { token: 'admin-token-0123456789' }, network: { allowPrivateTargets: ['127.0.0.1'] } });
  assert.deepEqual(diagnose(input, { gate: doctorGuard(open) }), []);
});

test('doctor: unknown-macro message names the fix in plain words', () => {
  const [f] = diagnose(doctorInputSchema.parse({ url: `${T}?click_id={Sub5}&payout={payout}&tx_id={transaction_id}` }));
  assert.equal(f?.severity, 'error');
  assert.match(f?.message ?? '', /case-sensitive.*Did you mean \{sub5\}\?/);
  assert.equal(f?.fix, 'Replace {Sub5} with {sub5}.');
});
