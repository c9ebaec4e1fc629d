import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { chance, deepJson, encodeHostile, hostileJsonValue, hostileString, pick, type Rand } from './fuzz-values';

/**
 * The fuzzer's request builder. The routes come from openapi.yaml (which test/openapi.test.ts
 * keeps equal to the router), so a route added there is fuzzed without touching this file; the
 * console's /ui paths and unknown paths are added by hand. Each request is a plausible call of one
 * operation with some parts made hostile: path parameters, query values and names, the body, its
 * content type and encoding, the credentials, the method.
 */

type Schema = Record<string, any>;
export interface Operation {
  method: string;
  template: string;
  query: Array<{ name: string; schema: Schema }>;
  body: Array<{ name: string; schema: Schema }> | null;
  /** 'bearer' (admin token or session), 'source' (the `key` parameter), 'public'. */
  auth: 'bearer' | 'source' | 'public';
}

export interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export interface FuzzContext {
  adminToken: string;
  sourceSecrets: string[];
  /** A valid console session: cookie header value and CSRF token. */
  session?: { cookie: string; csrf: string };
  /** Known ids by the path prefix before the parameter, e.g. '/v1/conversions/' → conversion ids. */
  known: Map<string, string[]>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options'] as const;

export function loadOperations(openapiPath: string): Operation[] {
  const doc = parseYaml(readFileSync(openapiPath, 'utf8')) as Schema;
  const resolve = (s: Schema | undefined): Schema => {
    let out = s ?? {};
    for (let i = 0; i < 10 && typeof out.$ref === 'string'; i++) {
      out =
        (out.$ref as string)
          .slice(2)
          .split('/')
          .reduce((o: Schema, k: string) => o?.[k], doc) ?? {};
    }
    return out;
  };
  const props = (s: Schema): Array<{ name: string; schema: Schema }> => {
    const r = resolve(s);
    const parts = [r, ...((r.allOf ?? r.oneOf ?? r.anyOf ?? []) as Schema[]).map(resolve)];
    return parts.flatMap((p) => Object.entries((p.properties ?? {}) as Record<string, Schema>).map(([name, schema]) => ({ name, schema: resolve(schema) })));
  };
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const params = [...((item.parameters ?? []) as Schema[]), ...((op.parameters ?? []) as Schema[])].map(resolve);
      const content = resolve(op.requestBody)?.content as Record<string, Schema> | undefined;
      const bodySchema = content ? Object.values(content)[0]?.schema : undefined;
      const security = (op.security ?? doc.security ?? []) as Schema[];
      const usesKey = params.some((p) => p.name === 'key' && p.in === 'query');
      ops.push({
        method: method.toUpperCase(),
        template,
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name as string, schema: resolve(p.schema) })),
        body: content ? props(bodySchema ?? {}) : null,
        auth: usesKey || template.startsWith('/postback') ? 'source' : security.length === 0 ? 'public' : 'bearer',
      });
    }
  }
  // Not in the contract, still served: the console and whatever a scanner tries.
  for (const template of ['/ui', '/ui/', '/ui/{rest}', '/ui/assets/{rest}', '/{rest}', '/v1/{rest}', '/c/', '/postback/']) {
    ops.push({ method: 'GET', template, query: [], body: null, auth: 'public' });
  }
  return ops;
}

/** A value the schema accepts (roughly), so that requests also get past the first check. */
function plausible(r: Rand, s: Schema, ctx: FuzzContext): unknown {
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return pick(r, s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'integer') return Math.floor(r() * (chance(r, 0.7) ? 10 : 1e6));
  if (type === 'number') return Number((r() * 100).toFixed(2));
  if (type === 'boolean') return chance(r, 0.5);
  if (type === 'array') return [plausible(r, s.items ?? {}, ctx)];
  if (type === 'object') return {};
  if (s.format === 'uri' || /url/i.test(String(s.description ?? ''))) return pick(r, ['https://example.com/lp?x=1', 'http://127.0.0.1:9/pb?cid={click_id}']);
  return pick(r, ['demo', 'net', 'abc123', `tx-${Math.floor(r() * 1e9)}`, '1.50', 'USD', 'EUR', ...(ctx.known.get('/v1/conversions/') ?? []).slice(0, 3)]);
}

function value(r: Rand, s: Schema, ctx: FuzzContext): unknown {
  return chance(r, 0.5) ? plausible(r, s, ctx) : chance(r, 0.8) ? hostileString(r) : hostileJsonValue(r);
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

function pathFor(r: Rand, template: string, ctx: FuzzContext): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string, offset: number) => {
    const prefix = template.slice(0, offset);
    const known = ctx.known.get(prefix) ?? [];
    if (name === 'link' && chance(r, 0.6)) return 'demo';
    if (name === 'source' && chance(r, 0.6)) return pick(r, ['net', 'direct']);
    if (known.length > 0 && chance(r, 0.5)) return pick(r, known);
    if (chance(r, 0.15)) return [...Array(32)].map(() => Math.floor(r() * 16).toString(16)).join('');
    if (chance(r, 0.1)) return String(Math.floor(r() * 20));
    return encodeHostile(r, hostileString(r)).slice(0, 6_000);
  });
}

function queryFor(r: Rand, op: Operation, ctx: FuzzContext): string {
  const pairs: Array<[string, string]> = [];
  if (op.auth === 'source' && chance(r, 0.85)) pairs.push(['key', chance(r, 0.8) ? pick(r, ctx.sourceSecrets) : hostileString(r)]);
  for (const p of op.query) {
    if (p.name === 'key' || !chance(r, 0.55)) continue;
    pairs.push([p.name, asText(value(r, p.schema, ctx))]);
    if (chance(r, 0.05)) pairs.push([p.name, asText(value(r, p.schema, ctx))]); // repeated: ctx.query gives an array
  }
  if (op.auth === 'source')
    for (const name of ['tx_id', 'click_id', 'payout', 'event', 'currency', 'status', 'sub5', 'gclid'])
      if (chance(r, 0.35)) pairs.push([name, asText(value(r, {}, ctx))]);
  if (chance(r, 0.25)) pairs.push([hostileString(r), hostileString(r)]);
  if (chance(r, 0.03)) for (let i = 0; i < 500; i++) pairs.push([`p${i}`, 'x']);
  const qs = pairs.map(([k, v]) => `${encodeHostile(r, k)}=${encodeHostile(r, v)}`).join('&');
  if (chance(r, 0.05)) return pick(r, ['?', '?&&&', '?=', '?==&=', '?a', '?%', '?a=%', '?;', '?#frag']);
  return qs ? `?${qs.slice(0, 14_000)}` : '';
}

function bodyFor(r: Rand, op: Operation, ctx: FuzzContext): { body?: Buffer | string; type?: string; encoding?: string } {
  const fields: Record<string, unknown> = {};
  for (const p of op.body ?? []) if (chance(r, 0.7)) fields[p.name] = value(r, p.schema, ctx);
  if (chance(r, 0.2)) fields[hostileString(r)] = hostileJsonValue(r);
  const roll = r();
  if (roll < 0.45) return { body: JSON.stringify(fields), type: 'application/json' };
  if (roll < 0.55)
    return {
      body: new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, asText(v)])).toString(),
      type: 'application/x-www-form-urlencoded',
    };
  if (roll < 0.6) return { body: deepJson(r, pick(r, [64, 1_000, 5_000])), type: 'application/json' };
  if (roll < 0.67)
    return {
      body: pick(r, ['{"a":', '{"a":1}}', "{'a':1}", 'null', '[]', '"str"', '1', 'true', '', '{"a":NaN}', '\u0000', '{"__proto__":{"admin":true}}']),
      type: 'application/json',
    };
  if (roll < 0.71) return { body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), type: 'application/json' };
  if (roll < 0.75)
    return {
      body: JSON.stringify({ pad: 'x'.repeat(pick(r, [33_000, 200_000, 1_100_000])) }),
      type: pick(r, ['application/json', 'application/x-www-form-urlencoded', 'text/plain']),
    };
  if (roll < 0.8)
    return {
      body: JSON.stringify(fields),
      type: pick(r, ['application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json; charset=bogus']),
    };
  if (roll < 0.84)
    return { body: 'garbage-not-compressed', type: 'application/json', encoding: pick(r, ['gzip', 'deflate', 'br', 'compress', 'x-bogus', 'gzip, gzip']) };
  if (roll < 0.9)
    return {
      body: JSON.stringify(fields),
      type: pick(r, [
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'image/png',
        '*/*',
        ';;;',
        'application/json-patch+json',
      ]),
    };
  if (roll < 0.95) return { body: JSON.stringify(fields) };
  return {};
}

function authHeaders(r: Rand, op: Operation, method: string, ctx: FuzzContext): Record<string, string> {
  const h: Record<string, string> = {};
  if (op.auth !== 'bearer' && !chance(r, 0.1)) return h;
  const roll = r();
  if (roll < 0.55) h.authorization = `Bearer ${ctx.adminToken}`;
  else if (roll < 0.65 && ctx.session) {
    h.cookie = ctx.session.cookie;
    if (method !== 'GET' && chance(r, 0.7)) h['x-csrf-token'] = chance(r, 0.8) ? ctx.session.csrf : 'wrong';
  } else if (roll < 0.85)
    h.authorization = pick(r, [
      'Bearer ',
      'Bearer wrong-token-0123456789',
      `bearer ${ctx.adminToken}`,
      `Basic ${Buffer.from(`admin:${ctx.adminToken}`).toString('base64')}`,
      `Bearer ${ctx.adminToken}x`,
      `Bearer ${'x'.repeat(5_000)}`,
      'Bearer\t',
      `Bearer  ${ctx.adminToken}`,
    ]);
  else if (roll < 0.92)
    h.cookie = pick(r, [
      'closeloop_session=1.2.3',
      'closeloop_session=',
      `closeloop_session=${'9'.repeat(20)}.x.y; closeloop_csrf=z`,
      'closeloop_session=%ZZ',
      'closeloop_session="quoted"',
      '=;=;=',
      'closeloop_session=a; closeloop_session=b',
    ]);
  return h;
}

const WRONG_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'MKCOL'];

/** One request: `op` as called with hostile parts. */
export function buildRequest(r: Rand, op: Operation, ctx: FuzzContext): FuzzRequest {
  const method = chance(r, 0.88) ? op.method : pick(r, WRONG_METHODS);
  const headers: Record<string, string> = { ...authHeaders(r, op, method, ctx) };
  if (chance(r, 0.1)) headers.origin = pick(r, ['https://landing.example.com', 'https://evil.example', 'null', hostileHeader(r)]);
  if (chance(r, 0.1)) headers['x-forwarded-for'] = pick(r, ['1.2.3.4', '::1, 10.0.0.1', 'not-an-ip', '999.999.999.999', hostileHeader(r)]);
  if (chance(r, 0.08)) headers['user-agent'] = hostileHeader(r);
  if (chance(r, 0.05)) headers.accept = pick(r, ['text/csv', '*/*', 'application/xml', hostileHeader(r)]);
  let body: Buffer | string | undefined;
  if (method !== 'GET' && method !== 'HEAD' && (op.body !== null || chance(r, 0.3))) {
    const b = bodyFor(r, op, ctx);
    body = b.body;
    if (b.type) headers['content-type'] = b.type;
    if (b.encoding) headers['content-encoding'] = b.encoding;
  }
  return {
    route: `${op.method} ${op.template}`,
    method,
    path: pathFor(r, op.template, ctx) + queryFor(r, op, ctx),
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

/** Header values may hold visible ASCII and obs-text only (RFC 9110 §5.5; the client refuses the rest): everything else becomes '?'. */
function hostileHeader(r: Rand): string {
  return (
    [...hostileString(r).slice(0, 2_000)].map((c) => (c.charCodeAt(0) < 0x21 || c.charCodeAt(0) === 0x7f || c.charCodeAt(0) > 0xff ? '?' : c)).join('') || 'x'
  );
}
