import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectors } from '../connectors/index';
import { clickFixture, conversionFixture } from '../connectors/_shared/test-fixtures';
import {
  DELIVERY_ERROR_KINDS,
  DeliveryError,
  redactRequest,
  secretValues,
  type AnyConnector,
  type ConnectorContext,
  type ConversionRecord,
  type DeliveryItem,
  type ItemOutcome,
  type Outcome,
  type PlatformResponse,
} from '../src/connector-kit';

/**
 * Shared rules every registered connector must follow: it loops over
 * connectors/index.ts, so a new connector is covered the moment it is registered.
 *
 * Convention: each connector folder has `fixtures.ts` exporting
 *   export const conformanceFixture = { settings, credentials, conversion?, noSecrets? }
 * with settings/credentials that pass the connector's own schemas (real-looking credential
 * values, ≥ 8 characters, so a leak is detectable), optionally a conversion the connector
 * accepts when the shared one below does not fit, and `noSecrets: true` only for a connector
 * that has no credentials at all.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

interface ConformanceFixture {
  settings: unknown;
  credentials: unknown;
  conversion?: ConversionRecord;
  noSecrets?: true;
}

/** A matched click carrying every platform's click id, ip, user agent and landing page. */
function sharedConversion(): ConversionRecord {
  const ids = { gclid: 'Cj0KCQ-conformance', fbclid: 'IwAR-conformance', ttclid: 'E.C.P.conformance', rdt_cid: 'rdt-conformance' };
  return conversionFixture({
    receivedAt: NOW - 60_000,
    updatedAt: NOW - 60_000,
    click: clickFixture({ platformClickIds: ids, createdAt: NOW - 3_600_000, landingUrl: 'https://shop.example/landing?gclid=Cj0KCQ-conformance' }),
  });
}

async function loadFixture(id: string): Promise<ConformanceFixture | string> {
  const file = join(ROOT, 'connectors', id, 'fixtures.ts');
  if (!existsSync(file)) return `connectors/${id}/fixtures.ts is missing: add it with \`export const conformanceFixture = { settings, credentials }\``;
  const mod = (await import(pathToFileURL(file).href)) as { conformanceFixture?: ConformanceFixture };
  const f = mod.conformanceFixture;
  if (!f || typeof f !== 'object' || !('settings' in f) || !('credentials' in f)) {
    return `connectors/${id}/fixtures.ts must export \`conformanceFixture = { settings, credentials }\` (valid for the connector's schemas)`;
  }
  return f;
}

const res = (status: number, body = '', headers: Record<string, string> = {}): PlatformResponse => ({ status, headers, body, durationMs: 1 });
const ODD_RESPONSES: Array<[string, PlatformResponse]> = [
  ['200 empty body', res(200)],
  ['200 HTML body', res(200, '<!doctype html><html><body><h1>Welcome</h1></body></html>', { 'content-type': 'text/html' })],
  ['200 garbage JSON', res(200, '{"code": 0, "data": [1, 2', { 'content-type': 'application/json' })],
  ['200 JSON null', res(200, 'null')],
  ['200 JSON array', res(200, '[1,"two",{"three":3}]')],
  ['200 JSON string', res(200, '"ok"')],
  ['200 control characters', res(200, '\u0000\u0001\ufffd\ud800')],
  ['200 huge body', res(200, 'x'.repeat(2_000_000))],
  ['200 huge JSON', res(200, JSON.stringify({ code: 0, data: Array.from({ length: 50_000 }, (_, i) => ({ event_id: `e${i}` })) }))],
  ['204 no content', res(204)],
  ['400 HTML', res(400, '<html>Bad Request</html>')],
  ['401 empty', res(401)],
  ['403 JSON', res(403, '{"error":{"message":"forbidden"}}')],
  ['404 text', res(404, 'not found')],
  ['418 teapot', res(418, "I'm a teapot")],
  ['429 with Retry-After', res(429, '{"error":"slow down"}', { 'retry-after': '7' })],
  ['429 without Retry-After', res(429)],
  ['429 with an HTTP-date Retry-After', res(429, '', { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' })],
  ['500 empty', res(500)],
  ['502 HTML', res(502, '<html><body>Bad Gateway</body></html>')],
  ['503 with Retry-After', res(503, 'maintenance', { 'retry-after': '120' })],
  ['504 garbage', res(504, '\u0000{{')],
];

function outcomesOf(outcome: Outcome, items: readonly DeliveryItem[]): ItemOutcome[] {
  if (!Array.isArray(outcome)) return items.map(() => outcome);
  assert.equal(outcome.length, items.length, 'per-item outcomes must match the items one for one');
  return outcome;
}

function assertWellFormed(o: ItemOutcome): void {
  assert.equal(typeof o.ok, 'boolean');
  if (o.ok) return;
  assert.ok(o.error instanceof DeliveryError, 'failures carry a DeliveryError');
  assert.ok(DELIVERY_ERROR_KINDS.includes(o.error.kind), `unknown kind ${o.error.kind}`);
  assert.ok(o.error.message.length <= 2000, `error message is ${o.error.message.length} characters; keep logs bounded`);
}

function assertNoSecrets(text: string, secrets: readonly string[], where: string): void {
  for (const s of secrets) if (s.length >= 4) assert.ok(!text.includes(s), `a credential value appears in ${where}`);
}

const list = connectors as readonly AnyConnector[];
const fixtures = new Map(await Promise.all(list.map(async (c) => [c.id, await loadFixture(c.id)] as const)));

it('every registered connector has a distinct id that names its folder', () => {
  assert.equal(new Set(list.map((c) => c.id)).size, list.length);
  for (const c of list) assert.ok(existsSync(join(ROOT, 'connectors', c.id, 'index.ts')), `connectors/${c.id}/index.ts`);
});

for (const connector of list) {
  describe(`conformance: ${connector.id}`, () => {
    const fixture = fixtures.get(connector.id) as ConformanceFixture | string;

    it('exports a valid conformanceFixture from fixtures.ts', () => {
      if (typeof fixture === 'string') assert.fail(fixture);
      const s = connector.settings.safeParse(fixture.settings);
      const c = connector.credentials.safeParse(fixture.credentials);
      assert.ok(s.success, `conformanceFixture.settings fail the schema: ${s.success ? '' : s.error.message}`);
      assert.ok(c.success, `conformanceFixture.credentials fail the schema: ${c.success ? '' : c.error.message}`);
      if (!fixture.noSecrets) {
        assert.ok(
          secretValues(c.data).some((v) => v.length >= 8),
          'conformanceFixture.credentials need at least one real-length secret to test redaction (or noSecrets: true)',
        );
      }
    });
    if (typeof fixture === 'string') return;

    const settings = connector.settings.parse(fixture.settings);
    const credentials = connector.credentials.parse(fixture.credentials);
    const secrets = secretValues(credentials);
    const ctx = (): ConnectorContext<unknown, unknown> => ({
      destinationId: 'dest_conformance',
      settings: structuredClone(settings),
      credentials: structuredClone(credentials),
      now: NOW,
    });
    const conversion = fixture.conversion ?? sharedConversion();
    const batchSize = Math.min(3, connector.limits.maxBatch);
    const makeItems = (n: number): DeliveryItem[] =>
      Array.from({ length: n }, (_, i) => ({
        deliveryId: `dlv_conf_${i}`,
        dedupKey: `0123456789abcdef0123456789abcd${String(i).padStart(2, '0')}`,
        attempt: 1,
        conversion: structuredClone({ ...conversion, id: `conv_conf_${i}`, transactionId: `tx-conf-${i}` }),
      }));

    it('declares sane limits and metadata', () => {
      assert.ok(Number.isInteger(connector.limits.maxBatch) && connector.limits.maxBatch >= 1);
      assert.ok(connector.limits.timeoutMs > 0 && connector.limits.timeoutMs <= 120_000);
      assert.ok(connector.displayName && connector.apiVersion);
    });

    it('validate accepts the fixture conversion', () => {
      for (const item of makeItems(batchSize)) {
        const err = connector.validate?.(item, ctx()) ?? null;
        assert.equal(err, null, `validate rejected the fixture: ${err?.message}`);
      }
    });

    for (const n of new Set([1, batchSize])) {
      it(`build is deterministic (${n} item${n > 1 ? 's' : ''})`, () => {
        const a = connector.build(makeItems(n), ctx());
        const b = connector.build(makeItems(n), ctx());
        assert.deepEqual(a, b);
        assert.match(a.url, /^https?:\/\//);
        assert.ok(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(a.method));
      });

      it(`classify never throws on odd responses, and 429/5xx are retried (${n} item${n > 1 ? 's' : ''})`, () => {
        const items = makeItems(n);
        const request = connector.build(items, ctx());
        for (const [name, response] of ODD_RESPONSES) {
          let outcome: Outcome;
          try {
            outcome = connector.classify(response, request, items);
          } catch (err) {
            assert.fail(`classify threw on "${name}": ${(err as Error).message}`);
          }
          const all = outcomesOf(outcome, items);
          all.forEach(assertWellFormed);
          for (const o of all) if (!o.ok) assertNoSecrets(o.error.message, secrets, `the DeliveryError message for "${name}"`);
          const kinds = all.map((o) => (o.ok ? 'ok' : o.error.kind));
          if (response.status === 429)
            assert.deepEqual(
              kinds,
              items.map(() => 'rate_limited'),
              `"${name}" must be rate_limited`,
            );
          if ([500, 502, 503, 504].includes(response.status))
            assert.deepEqual(
              kinds,
              items.map(() => 'transient'),
              `"${name}" must be transient`,
            );
        }
      });

      it(`identifiersSent answers the same for the built request and a stored copy of it (${n} item${n > 1 ? 's' : ''})`, (t) => {
        if (!connector.identifiersSent) return t.skip('no identifiersSent');
        const items = makeItems(n);
        const built = connector.build(items, ctx());
        // The copy is what an attempt record holds: only its text, parsed back (jsonRequest's
        // remembered body belongs to the built object alone).
        const stored = { ...built };
        for (const item of [...items].reverse()) {
          assert.deepEqual(connector.identifiersSent(built, item.dedupKey), connector.identifiersSent(stored, item.dedupKey), item.dedupKey);
        }
        assert.equal(connector.identifiersSent(built, 'not-a-key'), null);
      });

      it(`credentials never appear in the redacted request (${n} item${n > 1 ? 's' : ''})`, () => {
        const request = connector.build(makeItems(n), ctx());
        assertNoSecrets(JSON.stringify(redactRequest(request, secrets)), secrets, 'the redacted request');
      });
    }

    it('errors from validate and build never carry credentials', () => {
      const bad: DeliveryItem = {
        ...(makeItems(1)[0] as DeliveryItem),
        conversion: { ...conversion, currency: 'QQQ', payout: 'n/a', click: null, matched: false, receivedAt: 0 },
      };
      const messages: string[] = [];
      const v = connector.validate?.(bad, ctx());
      if (v) messages.push(v.message);
      for (const items of [[], makeItems(connector.limits.maxBatch + 1)]) {
        try {
          connector.build(items, ctx());
        } catch (err) {
          assert.ok(err instanceof DeliveryError, `build must throw DeliveryError, threw ${String(err)}`);
          messages.push(err.message);
        }
      }
      for (const m of messages) assertNoSecrets(m, secrets, 'a validate/build error');
    });
  });
}
