import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type Router from '@koa/router';
import { parse as parseYaml } from 'yaml';
import { startFakeServer, type FakeServer } from './helpers/fake-server';
import { ADMIN_TOKEN, SOURCE_SECRET, startTestGateway, type TestGateway } from './helpers/gateway';

/**
 * openapi.yaml against the running app: the router and the spec must list the same
 * (METHOD, path) pairs, and real responses must match the spec's schemas.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };
interface Spec {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
  [key: string]: Json | Record<string, unknown>;
}

const spec = parseYaml(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as Spec;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// ---------------------------------------------------------------------------------------------
// Spec navigation

function pointer(ref: string): Json {
  assert.ok(ref.startsWith('#/'), `only local $refs are supported, got ${ref}`);
  let node: unknown = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    if (node === undefined) throw new Error(`openapi.yaml: $ref ${ref} does not resolve`);
  }
  return node as Json;
}

/** Follows $ref chains of OpenAPI objects (responses, parameters); schemas are resolved by the validator. */
function deref(node: Json): Schema {
  let n = node as Schema;
  while (typeof n.$ref === 'string') n = pointer(n.$ref) as Schema;
  return n;
}

function specRoutes(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const m of HTTP_METHODS) if (item[m]) out.add(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

/** Every router mounted on the app (plus the one createApp returns), so a second router is seen too. */
function routerRoutes(g: TestGateway): Set<string> {
  const routers = new Set<Router>([g.gw.router]);
  for (const mw of g.gw.app.middleware) {
    const mounted = (mw as { router?: Router }).router;
    if (mounted) routers.add(mounted);
  }
  const out = new Set<string>();
  for (const router of routers) {
    for (const layer of router.stack) {
      const path = String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const method of layer.methods) {
        // koa-router adds HEAD to every GET route; the spec documents the GET.
        if (method === 'HEAD' && layer.methods.includes('GET')) continue;
        out.add(`${method} ${path}`);
      }
    }
  }
  return out;
}

/** The JSON schema of a documented response; fails when the status is not documented. */
function responseSchema(method: string, path: string, status: number): Schema {
  const op = spec.paths[path]?.[method.toLowerCase()] as Schema | undefined;
  assert.ok(op, `openapi.yaml has no ${method} ${path}`);
  const responses = op.responses as Record<string, Json>;
  const documented = responses[String(status)];
  assert.ok(documented, `openapi.yaml documents no ${status} response for ${method} ${path} (has ${Object.keys(responses).join(', ')})`);
  const content = deref(documented).content as Record<string, Schema> | undefined;
  const schema = content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${path} ${status} has no application/json schema`);
  return schema as Schema;
}

// ---------------------------------------------------------------------------------------------
// A small validator for the JSON Schema subset openapi.yaml uses. A keyword it does not know is
// an error, so a schema it cannot check never passes silently.

const ANNOTATIONS = new Set(['description', 'format', 'default', 'examples', 'example', 'title', 'deprecated', 'readOnly', 'writeOnly']);
const KNOWN = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'oneOf',
  'anyOf',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'maxProperties',
  'propertyNames',
  ...ANNOTATIONS,
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  const errors: string[] = [];
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) errors.push(`${at}: the test's validator does not understand "${k}"`);
  if (typeof schema.$ref === 'string') errors.push(...validate(pointer(schema.$ref) as Schema, value, at));

  if (schema.type !== undefined) {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      return [...errors, `${at}: expected ${types.join(' | ')}, got ${actual} ${JSON.stringify(value)}`];
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value))
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) errors.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);

  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: ${value} > ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(schema.items as Schema, v, `${at}[${i}]`)));

  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${at}: missing required "${r}"`);
    if (typeof schema.maxProperties === 'number' && Object.keys(obj).length > schema.maxProperties)
      errors.push(`${at}: more than ${schema.maxProperties} properties`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames as Schema, k, `${at}[name ${JSON.stringify(k)}]`));
      const sub = props[k];
      if (sub) errors.push(...validate(sub, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: "${k}" is not in the schema`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }

  for (const [kw, exactlyOne] of [
    ['oneOf', true],
    ['anyOf', false],
  ] as const) {
    const options = schema[kw] as Schema[] | undefined;
    if (!options) continue;
    const results = options.map((o) => validate(o, value, at));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing === 0) errors.push(`${at}: matches none of ${kw}: ${results.map((r) => r.join('; ')).join(' | ')}`);
    else if (exactlyOne && passing > 1) errors.push(`${at}: matches ${passing} branches of oneOf`);
  }
  return errors;
}

/** Asserts a real response is JSON, has a documented status, and matches that status's schema. */
async function conforms(res: Response, method: string, path: string): Promise<any> {
  const body: unknown = await res.json();
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path} answered ${res.headers.get('content-type')}`);
  const errors = validate(responseSchema(method, path, res.status), body);
  assert.deepEqual(errors, [], `${method} ${path} ${res.status} does not match openapi.yaml:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------

let fake: FakeServer;
let gw: TestGateway;
const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

before(async () => {
  fake = await startFakeServer((req) => (req.path === '/broken' ? { status: 400, body: 'bad request' } : { status: 200, body: 'ok' }));
  gw = await startTestGateway({
    configOverrides: {
      destinations: [
        { id: 'tracker', connector: 'http-postback', settings: { url: `${fake.url}/ok?cid={click_id}&payout={payout}` } },
        { id: 'broken', connector: 'http-postback', settings: { url: `${fake.url}/broken?cid={click_id}` } },
      ],
    },
  });
});
after(async () => {
  await gw?.close();
  await fake?.close();
});

test('the router and openapi.yaml list the same routes', () => {
  const documented = specRoutes();
  const routed = routerRoutes(gw);
  assert.ok(routed.size > 0, 'no routes found on the router');
  const undocumented = [...routed].filter((r) => !documented.has(r)).sort();
  const stale = [...documented].filter((r) => !routed.has(r)).sort();
  const lines = [
    'the router and openapi.yaml disagree.',
    ...(undocumented.length ? ['  routed but not documented in openapi.yaml (add them under paths):', ...undocumented.map((r) => `    ${r}`)] : []),
    ...(stale.length ? ['  documented in openapi.yaml but not routed (remove or fix them):', ...stale.map((r) => `    ${r}`)] : []),
  ];
  assert.deepEqual({ undocumented, stale }, { undocumented: [], stale: [] }, lines.join('\n'));
});

test('openapi.yaml is internally consistent: every $ref resolves, every path parameter is declared', () => {
  const problems: string[] = [];
  const walk = (n: unknown, at: string) => {
    if (Array.isArray(n)) n.forEach((v, i) => walk(v, `${at}[${i}]`));
    else if (n && typeof n === 'object') {
      const ref = (n as Schema).$ref;
      if (typeof ref === 'string') {
        try {
          pointer(ref);
        } catch (err) {
          problems.push(`${at}: ${(err as Error).message}`);
        }
      }
      for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
    }
  };
  walk(spec, '#');
  assert.equal(spec.openapi, '3.1.0');
  for (const [path, item] of Object.entries(spec.paths)) {
    const wanted = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const m of HTTP_METHODS) {
      const op = item[m] as Schema | undefined;
      if (!op) continue;
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${m.toUpperCase()} ${path}: no responses`);
      const params = [...((item.parameters ?? []) as Json[]), ...((op.parameters ?? []) as Json[])].map(deref);
      for (const name of wanted) {
        if (!params.some((p) => p.in === 'path' && p.name === name && p.required === true))
          problems.push(`${m.toUpperCase()} ${path}: path parameter {${name}} is not declared`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the validator is not vacuous: it refuses a missing field, an extra field, a wrong type and an unknown keyword', () => {
  const schema = { $ref: '#/components/schemas/PostbackResult' };
  const ok = { conversion_id: '0'.repeat(32), duplicate: false, updated: false, matched: true, status: 'approved', deliveries: [], warnings: [] };
  assert.deepEqual(validate(schema, ok), []);
  const { warnings: _w, ...missing } = ok;
  assert.match(validate(schema, missing).join(), /missing required "warnings"/);
  assert.match(validate(schema, { ...ok, extra: 1 }).join(), /"extra" is not in the schema/);
  assert.match(validate(schema, { ...ok, status: 'done' }).join(), /not one of/);
  assert.match(validate(schema, { ...ok, deliveries: [{ id: 'x', destination: 'd', status: 'pending' }] }).join(), /does not match/);
  assert.match(validate({ allOf: [] }, {}).join(), /does not understand "allOf"/);
});

let conversionId = '';

test('a redirect click then its postback: 302 with sub5, then 200 PostbackResult', async () => {
  const redirect = await fetch(`${gw.url}/c/demo?gclid=openapi-gclid&sub1=s1`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const documented = deref(
    ((spec.paths['/c/{link}'] as Schema).get as Schema).responses
      ? ((((spec.paths['/c/{link}'] as Schema).get as Schema).responses as Schema)['302'] as Json)
      : (undefined as unknown as Json),
  );
  assert.ok((documented.headers as Schema | undefined)?.Location, 'openapi.yaml documents the 302 Location header');
  const clickId = new URL(redirect.headers.get('location') ?? '').searchParams.get('sub5') ?? '';
  assert.match(clickId, /^[0-9a-f]{32}$/);

  const res = await fetch(
    `${gw.url}/postback?${new URLSearchParams({ key: SOURCE_SECRET, click_id: clickId, payout: '12.50', tx_id: 'tx-openapi-1', offer_id: '42' })}`,
  );
  assert.equal(res.status, 200);
  const body = await conforms(res, 'GET', '/postback');
  assert.equal(body.matched, true);
  assert.equal(body.deliveries.length, 2);
  conversionId = body.conversion_id;
});

test('POST /postback/{source} with a form body answers a PostbackResult', async () => {
  const res = await fetch(`${gw.url}/postback/net`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: SOURCE_SECRET, tx_id: 'tx-openapi-form', click_id: '' }).toString(),
  });
  assert.equal(res.status, 200);
  const body = await conforms(res, 'POST', '/postback/{source}');
  assert.equal(body.matched, false);
  assert.equal(body.warnings.length, 1);
});

test('401 errors (postback key, admin token) match Error', async () => {
  const pb = await fetch(`${gw.url}/postback?tx_id=x`);
  assert.equal(pb.status, 401);
  assert.equal((await conforms(pb, 'GET', '/postback')).error.code, 'UNAUTHORIZED');

  const admin = await fetch(`${gw.url}/v1/deliveries`);
  assert.equal(admin.status, 401);
  assert.equal(admin.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await conforms(admin, 'GET', '/v1/deliveries')).error.code, 'UNAUTHORIZED');
});

test('422 UNSUBSTITUTED_MACRO and 400 INVALID_POSTBACK match Error, and land in /v1/rejections', async () => {
  const macro = await fetch(`${gw.url}/postback?key=${SOURCE_SECRET}&tx_id=tx-openapi-2&click_id={sub5}`);
  assert.equal(macro.status, 422);
  const m = await conforms(macro, 'GET', '/postback');
  assert.equal(m.error.code, 'UNSUBSTITUTED_MACRO');
  assert.deepEqual(m.error.details, [{ field: 'click_id', message: 'unsubstituted macro' }]);

  const invalid = await fetch(`${gw.url}/postback?key=${SOURCE_SECRET}&tx_id=tx-openapi-3&payout=12,50`);
  assert.equal(invalid.status, 400);
  assert.equal((await conforms(invalid, 'GET', '/postback')).error.code, 'INVALID_POSTBACK');

  const list = await fetch(`${gw.url}/v1/rejections?limit=10`, { headers: adminHeaders });
  assert.equal(list.status, 200);
  const body = await conforms(list, 'GET', '/v1/rejections');
  assert.deepEqual(
    body.rejections.map((r: { code: string }) => r.code),
    ['INVALID_POSTBACK', 'UNSUBSTITUTED_MACRO'],
  );
});

test('GET /v1/conversions/{id} (a succeeded and a dead delivery, with attempts) matches Conversion', async () => {
  assert.ok(conversionId, 'the postback test ran first');
  const deadline = Date.now() + 5000;
  let res: Response;
  for (;;) {
    res = await fetch(`${gw.url}/v1/conversions/${conversionId}`, { headers: adminHeaders });
    const peek = (await res.clone().json()) as { deliveries: Array<{ status: string }> };
    if (peek.deliveries.every((d) => d.status !== 'pending')) break;
    assert.ok(Date.now() < deadline, `deliveries still pending: ${JSON.stringify(peek.deliveries)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.equal(res.status, 200);
  const body = await conforms(res, 'GET', '/v1/conversions/{id}');
  const byDest = Object.fromEntries(body.deliveries.map((d: { destination: string }) => [d.destination, d]));
  assert.equal(byDest.tracker.status, 'succeeded');
  assert.equal(byDest.broken.status, 'dead');
  assert.equal(byDest.broken.attempts[0].error_kind, 'payload');
  assert.equal(body.click.platform, 'google');

  const missing = await fetch(`${gw.url}/v1/conversions/${'f'.repeat(32)}`, { headers: adminHeaders });
  assert.equal(missing.status, 404);
  await conforms(missing, 'GET', '/v1/conversions/{id}');
  const bad = await fetch(`${gw.url}/v1/conversions/nope`, { headers: adminHeaders });
  assert.equal(bad.status, 400);
  await conforms(bad, 'GET', '/v1/conversions/{id}');
});

test('GET /v1/deliveries (paged, filtered) matches; POST /v1/deliveries/{id}/retry answers 202 Delivery', async () => {
  const page = await fetch(`${gw.url}/v1/deliveries?limit=1`, { headers: adminHeaders });
  assert.equal(page.status, 200);
  const body = await conforms(page, 'GET', '/v1/deliveries');
  assert.equal(body.deliveries.length, 1);
  assert.match(body.next_cursor, /^\d+\.[0-9a-f]{32}$/);

  const dead = await conforms(await fetch(`${gw.url}/v1/deliveries?status=dead`, { headers: adminHeaders }), 'GET', '/v1/deliveries');
  assert.equal(dead.deliveries.length, 1);
  assert.equal(dead.next_cursor, null);

  const tooBig = await fetch(`${gw.url}/v1/deliveries?limit=501`, { headers: adminHeaders });
  assert.equal(tooBig.status, 400);
  await conforms(tooBig, 'GET', '/v1/deliveries');

  const retried = await fetch(`${gw.url}/v1/deliveries/${dead.deliveries[0].id}/retry`, { method: 'POST', headers: adminHeaders });
  assert.equal(retried.status, 202);
  assert.equal((await conforms(retried, 'POST', '/v1/deliveries/{id}/retry')).status, 'pending');
});

test('destinations (list, resume, test, verify), click registration and health answers match', async () => {
  const dests = await conforms(await fetch(`${gw.url}/v1/destinations`, { headers: adminHeaders }), 'GET', '/v1/destinations');
  assert.deepEqual(
    dests.destinations.map((d: { id: string }) => d.id),
    ['tracker', 'broken'],
  );
  const resumed = await fetch(`${gw.url}/v1/destinations/tracker/resume`, { method: 'POST', headers: adminHeaders });
  assert.equal(resumed.status, 200);
  await conforms(resumed, 'POST', '/v1/destinations/{id}/resume');

  const tried = await fetch(`${gw.url}/v1/destinations/tracker/test`, {
    method: 'POST',
    headers: { ...adminHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ payout: '2.00' }),
  });
  assert.equal(tried.status, 200);
  assert.equal((await conforms(tried, 'POST', '/v1/destinations/{id}/test')).ok, true);
  const verified = await fetch(`${gw.url}/v1/destinations/tracker/verify`, { method: 'POST', headers: adminHeaders });
  assert.equal(verified.status, 200);
  assert.equal((await conforms(verified, 'POST', '/v1/destinations/{id}/verify')).supported, false);

  const click = await fetch(`${gw.url}/v1/clicks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'https://landing.example.com' },
    body: JSON.stringify({ fbclid: 'openapi-fbclid', sub1: 'a' }),
  });
  assert.equal(click.status, 201);
  assert.equal((await conforms(click, 'POST', '/v1/clicks')).platform, 'meta');

  await conforms(await fetch(`${gw.url}/healthz`), 'GET', '/healthz');
  await conforms(await fetch(`${gw.url}/readyz`), 'GET', '/readyz');
});

test('console routes (search, postbacks, stats, click, bulk retry) match openapi.yaml', async () => {
  const get = (path: string) => fetch(`${gw.url}${path}`, { headers: adminHeaders });
  const list = await conforms(await get('/v1/conversions?limit=2'), 'GET', '/v1/conversions');
  assert.ok(list.conversions.length > 0);
  const filtered = await conforms(await get('/v1/conversions?outcome=dead&destination=broken&has_warnings=false'), 'GET', '/v1/conversions');
  assert.ok(
    filtered.conversions.every((c: { deliveries: Array<{ destination: string; status: string }> }) =>
      c.deliveries.some((d) => d.destination === 'broken' && d.status !== 'succeeded'),
    ),
  );
  await conforms(await get('/v1/conversions?from=yesterday'), 'GET', '/v1/conversions');
  const postbacks = await conforms(await get('/v1/postbacks?limit=50'), 'GET', '/v1/postbacks');
  assert.ok(postbacks.postbacks.some((p: { outcome: string }) => p.outcome === 'rejected'));
  assert.ok(postbacks.postbacks.some((p: { outcome: string }) => p.outcome === 'accepted'));
  const stats = await conforms(await get('/v1/stats?window=7d'), 'GET', '/v1/stats');
  assert.equal(stats.series.length, 2 * 28);
  const missing = await get(`/v1/clicks/${'f'.repeat(32)}`);
  assert.equal(missing.status, 404);
  await conforms(missing, 'GET', '/v1/clicks/{id}');
  const clickId = new URL((await fetch(`${gw.url}/c/demo?gclid=openapi-click`, { redirect: 'manual' })).headers.get('location') ?? '').searchParams.get('sub5');
  await conforms(await get(`/v1/clicks/${clickId}`), 'GET', '/v1/clicks/{id}');
  const retried = await fetch(`${gw.url}/v1/deliveries/retry`, {
    method: 'POST',
    headers: { ...adminHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'dead', destination: 'broken' }),
  });
  assert.equal(retried.status, 202);
  await conforms(retried, 'POST', '/v1/deliveries/retry');
  const bad = await fetch(`${gw.url}/v1/deliveries/retry`, {
    method: 'POST',
    headers: { ...adminHeaders, 'content-type': 'application/json' },
    body: '{"status":"pending"}',
  });
  assert.equal(bad.status, 400);
  await conforms(bad, 'POST', '/v1/deliveries/retry');
});

test('doctor, sources, links and the sample postback answers match', async () => {
  const post = (path: string, body: unknown) =>
    fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const found = await conforms(await post('/v1/doctor', { url: 'https://t.example.com/pb?cid={Sub5}', kind: 'outbound' }), 'POST', '/v1/doctor');
  assert.equal(found.ok, false);
  const live = await conforms(await post('/v1/doctor', { url: `${fake.url}/ok?cid={sub5}&tx={transaction_id}`, live: true }), 'POST', '/v1/doctor');
  assert.ok(live.live, 'the live part is present');
  const sources = await conforms(await fetch(`${gw.url}/v1/sources`, { headers: adminHeaders }), 'GET', '/v1/sources');
  assert.ok(sources.sources.length > 0);
  await conforms(await fetch(`${gw.url}/v1/sources/net/secret`, { headers: adminHeaders }), 'GET', '/v1/sources/{id}/secret');
  await conforms(await fetch(`${gw.url}/v1/links`, { headers: adminHeaders }), 'GET', '/v1/links');
  await conforms(await post('/v1/sources/net/sample', {}), 'POST', '/v1/sources/{id}/sample');
  const bad = await post('/v1/doctor', { url: 1 });
  assert.equal(bad.status, 400);
  await conforms(bad, 'POST', '/v1/doctor');
});
