/**
 * Hostile values for the fuzzer (bench/fuzz.ts), drawn from a seeded PRNG so a run can be
 * repeated (`--seed`). Strings are JS strings (they may hold lone surrogates and control
 * characters); `encodeHostile` turns one into a query/path segment, sometimes deliberately
 * malformed.
 */

/** mulberry32: small, fast, seedable (https://gist.github.com/tommyettinger/46a874533244883189143505d203312c). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
export const chance = (r: Rand, p: number): boolean => r() < p;

const b64 = (s: string) => Buffer.from(s).toString('base64url');

/** The catalogue: each entry is one kind of trouble an outside caller can send. */
const HOSTILE: readonly string[] = [
  '',
  ' ',
  '   padded   ',
  '\t',
  'null',
  'undefined',
  'true',
  'false',
  '[]',
  '{}',
  '[object Object]',
  // control characters, line breaks, NUL, ANSI escapes, bidi and zero-width marks
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u0003',
  '\u001b[31mred\u001b[0m',
  'line\r\nInjected: header',
  '\u007f',
  '\u0085',
  '\u2028\u2029',
  '\u202eevil',
  'zero\u200bwidth',
  '\ufeffbom',
  '\uffff',
  '\ufffe',
  // lone and reversed surrogates, astral characters
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\udc00\ud800',
  '💸',
  '𝒳'.repeat(50),
  'é',
  'é',
  '１２３',
  // unsubstituted macros of every style networks use
  '{click_id}',
  '{transaction_id}',
  '{payout}',
  '{sub1}',
  '#s2#',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal unsubstituted macro is the point
  '${payout}',
  '{{amount}}',
  '[[sub]]',
  '%%TXID%%',
  '<click_id>',
  '$CLICK_ID$',
  '{',
  '}',
  '{}{}',
  // injection
  "' OR '1'='1",
  '1; DROP TABLE conversions;--',
  '" UNION SELECT key, value FROM kv --',
  "'); DELETE FROM deliveries; --",
  '%',
  '_',
  '\\',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal unsubstituted macro is the point
  '${7*7}',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  'http://127.0.0.1:6379/',
  'gopher://127.0.0.1/',
  // numbers that are not quite numbers
  '-1',
  '0',
  '-0',
  '1e308',
  '1e-400',
  '9007199254740993',
  '18446744073709551616',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x1F',
  '1_000',
  '1,50',
  '1.2.3',
  '.5',
  '5.',
  '+7',
  ' 1',
  '1 ',
  '٣',
  '1e3',
  '00000000000001',
  '2026-13-45T25:61:61Z',
  '9999-12-31T23:59:59.999Z',
  '1970-01-01',
  '-271821-04-20T00:00:00Z',
  // cursors and tokens that are almost right
  'eyJ0IjoxfQ',
  b64('{"t":-1,"id":"x"}'),
  b64('{"t":"a","id":{}}'),
  b64('[1,2]'),
  b64('null'),
  b64('{"__proto__":{"x":1}}'),
  'MTIzNDU2Nzg5MA==',
  '!!!!',
  '====',
  'a.b.c',
  'Bearer ',
  'test-admin-token',
  'x'.repeat(64),
  '0'.repeat(32),
  'f'.repeat(33),
];

/** A hostile string: from the catalogue, a long one, or a random mix of troublesome code units. */
export function hostileString(r: Rand): string {
  const roll = r();
  if (roll < 0.7) return pick(r, HOSTILE);
  if (roll < 0.78) return 'A'.repeat(pick(r, [256, 1_025, 4_097, 9_000]));
  if (roll < 0.82) return pick(r, HOSTILE).repeat(200);
  let s = '';
  const n = 1 + Math.floor(r() * 24);
  for (let i = 0; i < n; i++) {
    const k = r();
    s +=
      k < 0.3
        ? String.fromCharCode(Math.floor(r() * 0x20))
        : k < 0.5
          ? String.fromCharCode(0xd800 + Math.floor(r() * 0x800))
          : k < 0.7
            ? String.fromCharCode(Math.floor(r() * 0xffff))
            : String.fromCharCode(0x21 + Math.floor(r() * 0x5e));
  }
  return s;
}

/** Percent-encoded sequences a strict decoder rejects or that decode to something odd. */
const BAD_ENCODINGS = [
  '%',
  '%%',
  '%zz',
  '%4',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%FF%FE',
  '%00',
  '%0d%0a',
  '%25',
  '%2525',
  '%u0041',
  '+',
  '%2B',
  '%26',
  '%3D',
  '%23',
  '%3F',
];

/** Encodes `s` for a URL (encodeURIComponent throws on lone surrogates: those go as raw UTF-8 of the code unit, i.e. invalid). */
export function encodeHostile(r: Rand, s: string): string {
  if (chance(r, 0.15)) return pick(r, BAD_ENCODINGS) + safeEncode(s) + (chance(r, 0.5) ? pick(r, BAD_ENCODINGS) : '');
  return safeEncode(s);
}

function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    try {
      out += encodeURIComponent(ch);
    } catch {
      // A lone surrogate: its WTF-8 bytes, which no UTF-8 decoder accepts.
      const c = ch.charCodeAt(0);
      out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    }
  }
  return out;
}

/** A JSON value of the wrong shape: arrays, objects, numbers, null, deep nesting. */
export function hostileJsonValue(r: Rand, depth = 0): unknown {
  const roll = r();
  if (roll < 0.45 || depth > 3) return hostileString(r);
  if (roll < 0.55) return pick(r, [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 0.1 + 0.2]);
  if (roll < 0.62) return pick(r, [null, true, false]);
  if (roll < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => hostileJsonValue(r, depth + 1));
  if (roll < 0.8) return Array.from({ length: 300 }, () => 'x');
  return { [hostileString(r)]: hostileJsonValue(r, depth + 1), __proto__x: 1, constructor: hostileJsonValue(r, depth + 1) };
}

/** A deeply nested JSON text (arrays or objects), `depth` levels. */
export function deepJson(r: Rand, depth: number): string {
  return chance(r, 0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}
