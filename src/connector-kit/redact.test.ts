import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlatformRequest } from './http-types';
import { REDACTED, redactRequest, redactText, secretValues } from './redact';

const secret = 'tok/en+s3cret value';
const encoded = encodeURIComponent(secret);

describe('redactRequest', () => {
  it('removes secrets from the URL, raw and URL-encoded', () => {
    const req: PlatformRequest = { method: 'GET', url: `https://t.example/a/${secret}?k=${encoded}&x=1`, headers: {} };
    assert.equal(redactRequest(req, [secret]).url, `https://t.example/a/${REDACTED}?k=${REDACTED}&x=1`);
  });

  it('always redacts credential headers and masks secrets in the others', () => {
    const req: PlatformRequest = {
      method: 'POST',
      url: 'https://t.example/',
      headers: { Authorization: 'Bearer not-in-secrets-list', 'X-API-Key': 'k', 'X-Token': `pre ${secret}`, 'content-type': 'application/json' },
      body: '{}',
    };
    assert.deepEqual(redactRequest(req, [secret]).headers, {
      Authorization: REDACTED,
      'X-API-Key': REDACTED,
      'X-Token': `pre ${REDACTED}`,
      'content-type': 'application/json',
    });
  });

  it('removes JSON-escaped secrets from the body', () => {
    const quoted = 'pa"ss\\word\n';
    const body = JSON.stringify({ access_token: quoted, other: 'keep' });
    const out = redactRequest({ method: 'POST', url: 'https://t/', headers: {}, body }, [quoted]);
    assert.equal(out.body, `{"access_token":"${REDACTED}","other":"keep"}`);
  });

  it('masks pii as [pii], and prefers the longer match', () => {
    const ip = '203.0.113.7';
    const ua = 'Mozilla/5.0 (X11)';
    const req: PlatformRequest = {
      method: 'GET',
      url: `https://t/?ip=${ip}&ua=${encodeURIComponent(ua)}`,
      headers: {},
      body: JSON.stringify({ ip, ua }),
    };
    const out = redactRequest(req, [], [ip, ua, 'Mozilla']);
    assert.equal(out.url, 'https://t/?ip=[pii]&ua=[pii]');
    assert.equal(out.body, '{"ip":"[pii]","ua":"[pii]"}');
  });

  it('does not mask values shorter than 4 characters', () => {
    const req: PlatformRequest = { method: 'GET', url: 'https://t/?a=ok&b=abc&c=abcd', headers: { 'x-n': 'ok' } };
    const out = redactRequest(req, ['ok', 'abc', 'abcd'], ['1']);
    assert.equal(out.url, `https://t/?a=ok&b=abc&c=${REDACTED}`);
    assert.deepEqual(out.headers, { 'x-n': 'ok' });
  });

  it('leaves the body absent when there was none', () => {
    assert.equal('body' in redactRequest({ method: 'GET', url: 'https://t/', headers: {} }, [secret]), false);
  });
});

describe('redactText and secretValues', () => {
  it('masks free text such as an error message', () => {
    assert.equal(redactText(`401 for token ${secret}`, [secret]), `401 for token ${REDACTED}`);
  });

  it('collects every string leaf of a credentials object', () => {
    const creds = { headers: { Authorization: 'Bearer a' }, query: { key: 'k1' }, list: ['x', { deep: 'y' }], n: 5, none: null };
    assert.deepEqual(secretValues(creds), ['Bearer a', 'k1', 'x', 'y']);
  });
});

describe('credentials pasted into a URL (issue 7 item 10)', () => {
  it('finds credential-looking parameters by name', async () => {
    const { credentialParams } = await import('./redact');
    const url = 'https://p.example/pb?tx=1&token=abc123secret&API_KEY=k9&apikey=zz&access_token=a%2Fb&password=pw&sig=s1&key=kk&secret=x&offer=7#f';
    assert.deepEqual(
      credentialParams(url).map((p) => p.name),
      ['token', 'API_KEY', 'apikey', 'access_token', 'password', 'sig', 'key', 'secret'],
    );
    assert.equal(credentialParams(url).find((p) => p.name === 'access_token')?.value, 'a/b');
    assert.deepEqual(credentialParams('https://p.example/pb?tx_id=1&offer_key=x&monkey=y&keyword=z&sub1=token'), []);
    assert.deepEqual(credentialParams('https://me:p%40ss@p.example/pb'), [{ name: 'password', value: 'p@ss' }]);
  });
  it('their values are redacted like credentials; macros are not secrets', async () => {
    const { createRedactor, urlSecretValues } = await import('./redact');
    const settings = {
      url: 'https://p.example/pb?token=abc123secret&key={dedup_key}&cid={click_id}',
      nested: { baseUrl: 'https://x.example/?api_key=k-55-k' },
    };
    const values = urlSecretValues(settings);
    assert.deepEqual(values, ['abc123secret', 'k-55-k']);
    const r = createRedactor(values);
    const out = r.request({
      method: 'POST',
      url: 'https://p.example/pb?token=abc123secret&key=dk1234&cid=c9',
      headers: { 'x-echo': 'abc123secret' },
      body: 'echo=abc123secret',
    });
    assert.equal(out.url, `https://p.example/pb?token=${REDACTED}&key=dk1234&cid=c9`);
    assert.equal(out.headers['x-echo'], REDACTED);
    assert.equal(out.body, `echo=${REDACTED}`);
    assert.equal(r.text('partner said: bad token abc123secret'), `partner said: bad token ${REDACTED}`);
  });
});
