import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { DeliveryError, type HttpClient, type PlatformRequest, type PlatformResponse } from '../../src/connector-kit';
import { clearAccessTokens, forgetAccessToken, getAccessToken } from './google-oauth';

const URL_ = 'http://127.0.0.1:9/token';
const CREDS = { client_id: 'cid.apps.googleusercontent.com', client_secret: 'GOCSPX-unit-secret', refresh_token: '1//unit-refresh-token' };

/** An HttpClient that answers from a list and records requests: no sockets at all. */
function stubHttp(answers: Array<Partial<PlatformResponse>>) {
  const requests: PlatformRequest[] = [];
  const http: HttpClient = {
    async send(req) {
      requests.push(req);
      const a = answers.shift() ?? { status: 500 };
      await new Promise((r) => setTimeout(r, 5));
      return { status: a.status ?? 200, headers: a.headers ?? {}, body: a.body ?? '', durationMs: 1 };
    },
    close: async () => {},
  };
  return { http, requests };
}
const token = (t: string, expires_in = 3600) => ({ status: 200, body: JSON.stringify({ access_token: t, expires_in, token_type: 'Bearer' }) });

beforeEach(() => clearAccessTokens());

describe('google oauth refresh', () => {
  it('posts the refresh-token grant as a form and caches the token until a minute before expiry', async () => {
    const { http, requests } = stubHttp([token('ya29.one', 3600), token('ya29.two')]);
    assert.equal(await getAccessToken(http, URL_, CREDS, 0, 1000), 'ya29.one');
    assert.equal(await getAccessToken(http, URL_, CREDS, 3_539_000, 1000), 'ya29.one');
    assert.equal(await getAccessToken(http, URL_, CREDS, 3_540_000, 1000), 'ya29.two');
    assert.equal(requests.length, 2);
    assert.equal(requests[0]?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(requests[0]?.body)), { grant_type: 'refresh_token', ...CREDS });
  });

  it('one refresh at a time per credentials; forget drops the cached token', async () => {
    const { http, requests } = stubHttp([token('ya29.a'), token('ya29.b')]);
    const both = await Promise.all([getAccessToken(http, URL_, CREDS, 0, 1000), getAccessToken(http, URL_, CREDS, 0, 1000)]);
    assert.deepEqual(both, ['ya29.a', 'ya29.a']);
    forgetAccessToken(URL_, CREDS);
    assert.equal(await getAccessToken(http, URL_, CREDS, 0, 1000), 'ya29.b');
    assert.equal(requests.length, 2);
  });

  const failures: Array<[string, Partial<PlatformResponse>, string, string]> = [
    ['invalid_grant', { status: 400, body: '{"error":"invalid_grant","error_description":"Token has been expired or revoked."}' }, 'auth', 'invalid_grant'],
    ['invalid_client', { status: 401, body: '{"error":"invalid_client"}' }, 'auth', 'invalid_client'],
    ['other 4xx', { status: 400, body: 'nope' }, 'auth', 'TOKEN_HTTP_400'],
    ['429', { status: 429, headers: { 'retry-after': '3' }, body: '' }, 'rate_limited', 'TOKEN_HTTP_429'],
    ['503', { status: 503, body: '<html>' }, 'transient', 'TOKEN_HTTP_503'],
    ['200 without a token', { status: 200, body: '{"oops":1}' }, 'transient', 'TOKEN_RESPONSE'],
  ];
  for (const [name, answer, kind, code] of failures) {
    it(`${name} → ${kind}, without secrets in the message`, async () => {
      const { http } = stubHttp([answer]);
      await assert.rejects(getAccessToken(http, URL_, CREDS, 0, 1000), (err) => {
        assert.ok(err instanceof DeliveryError);
        assert.equal(err.kind, kind);
        assert.equal(err.platformCode, code);
        if (kind === 'rate_limited') assert.equal(err.retryAfterMs, 3000);
        for (const s of [CREDS.client_secret, CREDS.refresh_token]) assert.ok(!err.message.includes(s));
        return true;
      });
    });
  }
});
