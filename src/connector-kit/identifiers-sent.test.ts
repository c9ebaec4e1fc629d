import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findByKey, jsonRequest, requestJson } from './identifiers-sent';
import type { PlatformRequest } from './http-types';

test('findByKey answers right in any order (a search resumes after the previous match and wraps)', () => {
  const list = [{ k: 'a' }, { k: 'b' }, { k: 'c' }, 'not an object', { k: 'd' }];
  const key = (e: Record<string, unknown>) => e.k;
  for (const want of ['a', 'b', 'c', 'd', 'b', 'a', 'd', 'c', 'c']) assert.deepEqual(findByKey(list, want, key), { k: want }, want);
  assert.equal(findByKey(list, 'zz', key), undefined);
  assert.equal(findByKey([], 'a', key), undefined);
  assert.equal(findByKey(null, 'a', key), undefined);
});

test('requestJson parses a body once per request and answers null for a body that is not a JSON object', () => {
  const req: PlatformRequest = { method: 'POST', url: 'https://x.example', headers: {}, body: '{"data":[1]}' };
  const first = requestJson(req);
  assert.deepEqual(first, { data: [1] });
  assert.equal(requestJson(req), first, 'the same parsed object');
  assert.equal(requestJson({ ...req, body: '[1]' }), null);
  assert.equal(requestJson({ ...req, body: '{"cut": [redacted' }), null);
  assert.equal(requestJson({ ...req, body: undefined }), null);
});

test('jsonRequest serialises the body and requestJson answers that object for it, the text parsed for a copy', () => {
  const body = { data: [{ event_id: 'k1', user: { ip: '203.0.113.9', email: undefined } }] };
  const req = jsonRequest('POST', 'https://x.example/e', { 'content-type': 'application/json' }, body);
  assert.deepEqual(req, { method: 'POST', url: 'https://x.example/e', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(requestJson(req), body, 'no parse of the text just built');
  const copy = requestJson({ ...req });
  assert.notEqual(copy, body);
  assert.deepEqual(copy, { data: [{ event_id: 'k1', user: { ip: '203.0.113.9' } }] });
  assert.equal(requestJson(jsonRequest('POST', 'https://x.example/e', {}, [1, 2])), null, 'an array body is not an object, as when parsed');
});
