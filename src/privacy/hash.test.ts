import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashEmail, hashPhone, hashValue, isSha256Hex, normalizeEmail, normalizeName, normalizePhone, normalizeText, sha256Hex } from './hash';

// Digests computed independently with `node -e "crypto.createHash('sha256')…"`.
const H = {
  test: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  janeDot: '86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d',
  janeCanonical: 'c4d25e9c90ff23e9145397bc6fbd5385ca5fbe78211222ccbecd0b369ebb19a6',
  phonePlus: '36a2cef4ff9bf7a1abd2a93359136b870393be4106e6c5d19b72ff564f9deca4',
  phoneDigits: '413ba75461ab5f99d36820e561ea97e2bd80f9cb586f7ecea6cf4c496518950a',
};

describe('sha256Hex / isSha256Hex', () => {
  it('hashes UTF-8 text to lower-case hex', () => {
    assert.equal(sha256Hex('test'), H.test);
  });
  const cases: Array<[string, boolean]> = [
    [H.test, true],
    [H.test.toUpperCase(), true],
    [H.test.slice(1), false],
    [`${H.test}0`, false],
    ['d41d8cd98f00b204e9800998ecf8427e', false], // md5: not passed through, hashed again
    ['z'.repeat(64), false],
  ];
  for (const [value, want] of cases) it(`isSha256Hex(${value.slice(0, 12)}…/${value.length}) → ${want}`, () => assert.equal(isSha256Hex(value), want));
});

describe('normalizeEmail', () => {
  const cases: Array<[string, boolean, string | null]> = [
    ['  Jane.Doe@Example.COM ', false, 'jane.doe@example.com'],
    ['Jane.Doe+ads@Example.com', false, 'jane.doe+ads@example.com'],
    ['Jane.Doe+ads@Example.com', true, 'janedoe@example.com'],
    ['j.a.n.e@example.com', true, 'jane@example.com'],
    ['+only@example.com', true, null],
    ['no-at-sign', false, null],
    ['@example.com', false, null],
    ['jane@', false, null],
    ['two@at@example.com', false, null],
    ['jane doe@example.com', false, null],
    ['', false, null],
  ];
  for (const [input, canonical, want] of cases) {
    it(`${JSON.stringify(input)} canonical=${canonical} → ${want}`, () => assert.equal(normalizeEmail(input, { canonical }), want));
  }
});

describe('normalizePhone', () => {
  const cases: Array<[string, Parameters<typeof normalizePhone>[1], string | null]> = [
    ['+1 (415) 555-0123', {}, '+14155550123'],
    ['+1 415 555 0123 ext. 45', {}, '+14155550123'],
    ['+1-415-555-0123 x45', {}, '+14155550123'],
    ['+1 415 555 0123#9', {}, '+14155550123'],
    ['0044 20 7946 0018', {}, '+442079460018'],
    ['020 7946 0018', { defaultCountryCode: '44' }, '+442079460018'],
    ['020 7946 0018', { defaultCountryCode: '+44' }, '+442079460018'],
    ['14155550123', {}, '+14155550123'],
    ['0014155550123', { plus: false }, '14155550123'],
    ['+1 415 555 0123', { plus: false }, '14155550123'],
    ['00 0', {}, null],
    ['12345', {}, null],
    ['+1234567890123456', {}, null],
    ['call me', {}, null],
  ];
  for (const [input, options, want] of cases) {
    it(`${JSON.stringify(input)} ${JSON.stringify(options)} → ${want}`, () => assert.equal(normalizePhone(input, options), want));
  }
});

describe('hashValue / hashEmail / hashPhone', () => {
  const cases: Array<{ name: string; got: () => string | null; want: string | null }> = [
    { name: 'text is trimmed and lower-cased', got: () => hashValue('  TEST '), want: H.test },
    { name: 'an existing digest passes through, lower-cased', got: () => hashValue(` ${H.test.toUpperCase()} `), want: H.test },
    { name: 'null and undefined give null', got: () => hashValue(null) ?? hashValue(undefined), want: null },
    { name: 'blank gives null', got: () => hashValue('   '), want: null },
    { name: 'email keeps dots by default', got: () => hashEmail('Jane.Doe@Example.com'), want: H.janeDot },
    { name: 'email canonical (Reddit)', got: () => hashEmail('Jane.Doe+x@example.com', { canonical: true }), want: H.janeCanonical },
    { name: 'invalid email gives null', got: () => hashEmail('nope'), want: null },
    { name: 'pre-hashed email passes through', got: () => hashEmail(H.janeDot), want: H.janeDot },
    { name: 'phone E.164 with +', got: () => hashPhone('+1 (415) 555-0123'), want: H.phonePlus },
    { name: 'phone digits only (Meta)', got: () => hashPhone('+1 (415) 555-0123', { plus: false }), want: H.phoneDigits },
    { name: 'invalid phone gives null', got: () => hashPhone('123'), want: null },
  ];
  for (const c of cases) it(c.name, () => assert.equal(c.got(), c.want));

  it('normalizeName: NFC, lower-case, punctuation removed, whitespace collapsed', () => {
    assert.equal(normalizeName('  Mary-Jane  O\u2019Neil. '), 'maryjane oneil');
    assert.equal(normalizeName('ＭＡＲＹ'), 'ｍａｒｙ', 'letters other than a-z stay (Meta: UTF-8)');
    assert.equal(normalizeName('정'), '정');
    assert.equal(normalizeName(' - '), null);
  });

  it('normalizeText returns null for blank', () => {
    assert.equal(normalizeText(' \t'), null);
    assert.equal(normalizeText(' AbC '), 'abc');
  });
});
