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
