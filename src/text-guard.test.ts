import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiError } from './api-error';
import { assertCleanText, findUnsafeText, printable, unsafeCharacter } from './text-guard';

describe('text guard', () => {
  it('finds C0, DEL and lone surrogates; accepts pairs, emoji and ordinary text', () => {
    assert.equal(unsafeCharacter('a\u0000b'), 'a control character (U+0000)');
    assert.equal(unsafeCharacter('a\u007f'), 'a control character (U+007F)');
    assert.equal(unsafeCharacter('\ud83d'), 'a lone surrogate (U+D83D)');
    assert.equal(unsafeCharacter('x\ude00'), 'a lone surrogate (U+DE00)');
    for (const ok of ['😀', 'café', 'ñ 中 ع', 'a b', '']) assert.equal(unsafeCharacter(ok), null, ok);
    assert.equal(unsafeCharacter('line\r\nnext\ttab', true), null, 'whitespace allowed where multi-line');
    assert.equal(unsafeCharacter('a\u0000', true), 'a control character (U+0000)');
  });
  it('printable escapes instead of echoing, and clips', () => {
    assert.equal(printable('a\r\n\u0000\ud800b'), 'a\\u000d\\u000a\\u0000\\ud800b');
    assert.equal(printable('x'.repeat(70), 64), `${'x'.repeat(64)}…`);
  });
  it('walks nested bodies and names the path; names are checked too', () => {
    assert.deepEqual(findUnsafeText({ a: [{ b: 'ok' }, { b: 'no\n' }] }), { field: 'a.1.b', problem: 'a control character (U+000A)' });
    assert.deepEqual(findUnsafeText({ 'k\u0001': 'v' }), { field: 'k\\u0001', problem: 'its name contains a control character (U+0001)' });
    assert.equal(findUnsafeText({ html_code: '<b>\n</b>' }, { multiline: new Set(['html_code']) }), null);
  });
  it('assertCleanText throws a 422 INVALID_CHARACTERS naming the field', () => {
    assert.throws(
      () => assertCleanText({ sub1: 'a\rb' }),
      (e: ApiError) => e.status === 422 && e.code === 'INVALID_CHARACTERS' && e.message === 'parameter "sub1" contains a control character (U+000D)',
    );
  });
});
