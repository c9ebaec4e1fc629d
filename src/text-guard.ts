import { ApiError } from './api-error';

/**
 * Control characters (NUL, CR, LF, the rest of C0, DEL) and lone UTF-16 surrogates in parameter
 * names and values. They never occur in real click ids, transaction ids or names; they only make
 * logs, CSV exports and headers lie (a CR/LF in a value forged log lines), and a lone surrogate
 * is not encodable as UTF-8 at all. One check for every inbound edge: postbacks, clicks and the
 * network API; refusals name the field without echoing the raw character.
 */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** In fields that are multi-line by nature (HTML code, a POST body template) tab, LF and CR are text. */
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface TextGuardOptions {
  /** Field names (last path segment) whose values may contain tab, LF and CR. */
  multiline?: ReadonlySet<string>;
}

/** What is wrong with `s`, or null: `a control character (U+000A)` / `a lone surrogate (U+D800)`. */
export function unsafeCharacter(s: string, allowWhitespace = false): string | null {
  const m = (allowWhitespace ? CONTROL_EXCEPT_WHITESPACE : CONTROL).exec(s);
  if (m) return `a control character (${codePoint(m[0])})`;
  const lone = LONE_SURROGATE.exec(s);
  if (lone) return `a lone surrogate (${codePoint(lone[0])})`;
  return null;
}

const EACH_UNSAFE = new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`, 'g');
const codePoint = (ch: string) => `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Text safe to put in a message or a log: unsafe characters shown as `\uXXXX`, clipped. */
export function printable(s: string, max = 64): string {
  const clipped = s.length > max ? `${s.slice(0, max)}…` : s;
  return clipped.replace(EACH_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Any character either check refuses (the strict set: a multiline field's tab, LF and CR included). */
const ANY_UNSAFE = new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`);

/** True when no name or value holds a character either check could refuse: no allocation, the common case. */
function surelyClean(value: unknown): boolean {
  if (typeof value === 'string') return !ANY_UNSAFE.test(value);
  if (Array.isArray(value)) {
    for (const v of value) if (!surelyClean(v)) return false;
    return true;
  }
  if (value && typeof value === 'object') {
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      if (ANY_UNSAFE.test(k) || !surelyClean((value as Record<string, unknown>)[k])) return false;
    }
  }
  return true;
}

/** The first unsafe name or value in a parameter record or JSON body, with its field path. */
export function findUnsafeText(value: unknown, options: TextGuardOptions = {}, path: string[] = []): { field: string; problem: string } | null {
  if (path.length === 0 && surelyClean(value)) return null;
  return findUnsafeIn(value, options, path);
}

function findUnsafeIn(value: unknown, options: TextGuardOptions, path: string[]): { field: string; problem: string } | null {
  if (typeof value === 'string') {
    const last = path[path.length - 1];
    const problem = unsafeCharacter(value, last !== undefined && options.multiline?.has(last) === true);
    return problem ? { field: path.map((p) => printable(p)).join('.') || '(value)', problem } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnsafeIn(value[i], options, [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const nameProblem = unsafeCharacter(k);
      if (nameProblem) return { field: [...path, k].map((p) => printable(p)).join('.'), problem: `its name contains ${nameProblem}` };
      const found = findUnsafeIn(v, options, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

/** 422 `INVALID_CHARACTERS` naming the field, when any name or value carries an unsafe character. */
export function assertCleanText(value: unknown, options: TextGuardOptions = {}): void {
  const found = findUnsafeText(value, options);
  if (!found) return;
  const problem = found.problem.startsWith('its name') ? found.problem : `contains ${found.problem}`;
  throw new ApiError(422, 'INVALID_CHARACTERS', `parameter "${found.field}" ${problem}`, [{ field: found.field, message: problem }]);
}
