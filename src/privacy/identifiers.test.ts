import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from './hash';
import { hashPersonal, personalKindOf, personalNameIndex } from './identifiers';
import { redactPersonal, splitPersonal, stripPersonalQuery } from './personal-params';

describe("hashed identifiers: the platforms' published examples", () => {
  // developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
  it('Meta em: John_Smith@gmail.com', () => {
    assert.equal(
      hashPersonal('email', ' John_Smith@gmail.com ', 'email').hashes.email_sha256,
      '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f',
    );
  });
  it("Meta ph: US (650)555-1212 with the source's country code 1 → 16505551212", () => {
    const { hashes } = hashPersonal('phone', '(650)555-1212', 'phone', { phoneCountryCode: '1' });
    assert.equal(hashes.phone_sha256, 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176');
    assert.equal(hashes.phone_e164_sha256, sha256Hex('+16505551212'));
  });
  it('Meta fn: Mary, 정, Valéry', () => {
    assert.equal(hashPersonal('firstName', 'Mary', 'fn').hashes.first_name_sha256, '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec');
    assert.equal(hashPersonal('firstName', '정', 'fn').hashes.first_name_sha256, '8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14');
    assert.equal(hashPersonal('lastName', 'Valéry', 'ln').hashes.last_name_sha256, '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c');
  });
  it('Meta fn/ln "lowercase only with no punctuation": Valéry typed with a combining accent and with punctuation hashes as Meta\'s example', () => {
    const valery = '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c';
    assert.equal(hashPersonal('lastName', 'Vale\u0301ry', 'ln').hashes.last_name_sha256, valery, 'NFD input, NFC hash');
    assert.equal(hashPersonal('firstName', ' "Valéry." ', 'fn').hashes.first_name_sha256, valery);
    assert.equal(hashPersonal('lastName', "O'Brien", 'ln').hashes.last_name_sha256, sha256Hex('obrien'));
    assert.equal(hashPersonal('firstName', 'Jean-Luc', 'fn').hashes.first_name_sha256, sha256Hex('jeanluc'));
    assert.equal(hashPersonal('lastName', 'St.  John', 'ln').hashes.last_name_sha256, sha256Hex('st john'));
    assert.deepEqual(hashPersonal('firstName', '...', 'fn').hashes, {}, 'nothing but punctuation: no hash');
    // external_id is an identifier, not a name: its punctuation is significant.
    assert.equal(hashPersonal('externalId', 'Cust-42', 'external_id').hashes.external_id_sha256, sha256Hex('cust-42'));
  });
});

describe('hashed identifiers: one hash per normalisation variant', () => {
  it('Google drops the dots of gmail.com/googlemail.com local parts; Meta keeps them; Reddit drops dots and +suffix everywhere', () => {
    const { hashes } = hashPersonal('email', 'Jane.Doe+ads@GoogleMail.com', 'email');
    assert.deepEqual(hashes, {
      email_sha256: sha256Hex('jane.doe+ads@googlemail.com'),
      email_google_sha256: sha256Hex('janedoe+ads@googlemail.com'),
      email_reddit_sha256: sha256Hex('janedoe@googlemail.com'),
    });
    assert.equal(
      hashPersonal('email', 'jane.doe@example.com', 'email').hashes.email_google_sha256,
      sha256Hex('jane.doe@example.com'),
      'other domains keep their dots for Google',
    );
  });
  it('an international phone needs no default country', () => {
    assert.deepEqual(hashPersonal('phone', '+44 20 7946 0018', 'phone').hashes, {
      phone_sha256: sha256Hex('442079460018'),
      phone_e164_sha256: sha256Hex('+442079460018'),
    });
    assert.equal(hashPersonal('phone', '0044 20 7946 0018', 'phone').hashes.phone_e164_sha256, sha256Hex('+442079460018'));
  });
  it('a phone without a country code and no phoneCountryCode is ambiguous: dropped, with a warning', () => {
    const r = hashPersonal('phone', '020 7946 0018', 'tel');
    assert.deepEqual(r.hashes, {});
    assert.match(r.warning as string, /"tel".*no country code.*phoneCountryCode.*dropped/);
  });
  it('a value already hashed by the network is kept as the base variant', () => {
    const h = sha256Hex('x@y.com');
    assert.deepEqual(hashPersonal('email', h.toUpperCase(), 'em').hashes, { email_sha256: h });
  });
  it('what is not an email, a phone or an ip is dropped with a warning, never kept raw', () => {
    for (const [kind, v] of [
      ['email', 'not-an-email'],
      ['phone', '+12'],
      ['ip', '999.1.1.1'],
    ] as const) {
      const r = hashPersonal(kind, v, kind);
      assert.deepEqual(r.hashes, {}, kind);
      assert.ok(r.warning && !r.warning.includes(v), `${kind}: the warning does not echo the value`);
    }
    assert.equal(hashPersonal('ip', ' 2001:DB8::1 ', 'ip').hashes.ip_sha256, sha256Hex('2001:db8::1'));
  });
});

describe('personal parameters', () => {
  const index = personalNameIndex({ names: { email: ['buyer_mail'] } });
  it('default names, separators and case do not matter; configured names add to them', () => {
    for (const n of [
      'email',
      'EM',
      'e_mail',
      'E-Mail',
      'phone',
      'ph',
      'tel',
      'ip',
      'user_ip',
      'first_name',
      'fn',
      'last_name',
      'ln',
      'external_id',
      'buyer_mail',
    ]) {
      assert.ok(personalKindOf(index, n), n);
    }
    for (const n of ['sub1', 'payout', 'tx_id', 'click_id', 'offer_id']) assert.equal(personalKindOf(index, n), undefined, n);
  });
  it("a source's own mapped parameter is never personal (its click id may be called external_id)", () => {
    const own = personalNameIndex({ exclude: ['external_id', 'key'] });
    assert.equal(personalKindOf(own, 'external_id'), undefined);
    assert.equal(personalKindOf(own, 'email'), 'email');
  });
  it('splitPersonal takes them out of the parameters; the first of a kind wins', () => {
    const r = splitPersonal({ sub1: 'a', email: 'A@b.com', em: 'other@b.com', user_ip: '192.0.2.1', ph: ['+15551234567', '+15550000000'] }, index);
    assert.deepEqual(r.params, { sub1: 'a' });
    assert.equal(r.identifiers.email_sha256, sha256Hex('a@b.com'));
    assert.equal(r.identifiers.ip_sha256, sha256Hex('192.0.2.1'));
    assert.equal(r.identifiers.phone_e164_sha256, sha256Hex('+15551234567'));
    assert.deepEqual(r.personal.sort(), ['em', 'email', 'ph', 'user_ip']);
    assert.ok(!JSON.stringify(r).includes('A@b.com'));
  });
  it('redactPersonal keeps the name, not the value', () => {
    assert.deepEqual(redactPersonal({ email: 'a@b.com', sub1: 'x' }, index), { email: '[redacted]', sub1: 'x' });
  });
  it('stripPersonalQuery removes personal query parameters and keeps the rest byte for byte', () => {
    assert.equal(stripPersonalQuery('https://lp.example/p?gclid=G&email=a%40b.com&x=%C3%A9&Phone=1#frag', index), 'https://lp.example/p?gclid=G&x=%C3%A9#frag');
    assert.equal(stripPersonalQuery('https://lp.example/p?e%2Dmail=a%40b.com', index), 'https://lp.example/p');
    assert.equal(stripPersonalQuery('https://lp.example/p#section-2', index), 'https://lp.example/p#section-2', 'a plain fragment stays');
    assert.equal(stripPersonalQuery('https://lp.example/p#email=a@b.com', index), 'https://lp.example/p', 'a fragment with parameters goes, query or not');
    assert.equal(stripPersonalQuery('https://lp.example/p?a=1#email=a@b.com', index), 'https://lp.example/p?a=1', 'a fragment with parameters goes');
    assert.equal(stripPersonalQuery(null, index), null);
  });
});
