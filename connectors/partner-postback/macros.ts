import { escapeHtml, escapeUrl, type Escape } from '../../src/connector-kit';
import { PARTNER_MACROS, type PartnerMacro } from './macro-names';

export { PARTNER_MACROS, type PartnerMacro } from './macro-names';

/** null = known macro without a value: renders as ''. */
export type PartnerMacroValues = Record<PartnerMacro, string | null>;

/** Aliases read another macro's value (our choice: Everflow's docs and partner templates use both payout spellings). */
const ALIASES: Partial<Record<PartnerMacro, PartnerMacro>> = { payout_amount: 'payout' };
/** [macro, the param it reads], computed once. */
const SOURCES = PARTNER_MACROS.map((name) => [name, ALIASES[name] ?? name] as const);

/**
 * The macro values of one conversion. The network side stores every value the macros need in
 * the conversion's `params` under the macro's own name, already formatted (amounts with a dot and
 * no exponent, timestamps in unix seconds), so a retry renders exactly what the first try did.
 */
export function partnerMacroValues(params: Readonly<Record<string, string>>): PartnerMacroValues {
  const out = {} as PartnerMacroValues;
  for (const [name, from] of SOURCES) {
    const v = params[from];
    out[name] = v === undefined || v === '' ? null : v;
  }
  return out;
}

/** A template cut at its macros once: literal text, or the param a known macro reads. */
type Part = string | { from: string };
const KNOWN = new Map<string, string>(SOURCES);
const MACRO = /\{([A-Za-z0-9_]+)\}/g;
/** Compiled templates (one per postback URL or body; cleared if it ever grows past this). */
const compiled = new Map<string, Part[]>();
const COMPILED_MAX = 1000;

function compile(template: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let at = 0;
  for (const m of template.matchAll(MACRO)) {
    literal += template.slice(at, m.index);
    at = m.index + m[0].length;
    const from = KNOWN.get(m[1] as string);
    // An unknown macro goes out literally (failure mode 2).
    if (from === undefined) literal += m[0];
    else {
      if (literal) parts.push(literal);
      literal = '';
      parts.push({ from });
    }
  }
  literal += template.slice(at);
  if (literal) parts.push(literal);
  return parts;
}

/**
 * `renderTemplate(template, partnerMacroValues(params), escape)`, without building the 35 macro
 * values of every conversion or scanning the template each time: the same text, byte for byte
 * (partner-postback.test.ts checks both against each other).
 */
function render(template: string, params: Readonly<Record<string, string>>, escapeValue: Escape): string {
  let parts = compiled.get(template);
  if (!parts) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    parts = compile(template);
    compiled.set(template, parts);
  }
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else {
      const v = params[part.from];
      // A known macro without a value renders as '' (failure mode 1).
      if (v !== undefined && v !== '') out += escapeValue(v);
    }
  }
  return out;
}

/** A postback URL: values URL-encoded (https://www.ourdreamaiaffiliate.com/onboarding/postbacks: "the platform handles encoding"). */
export function renderPartnerUrl(template: string, params: Readonly<Record<string, string>>): string {
  return render(template, params, escapeUrl);
}

/**
 * An HTML pixel for the conversion page. Pixels put macros inside URLs (`<img src="…?s={sub1}">`,
 * iframe or script src), so each value is URL-encoded exactly as the server postback does, THEN
 * HTML-escaped: a sub1 of `x&payout=999999&tx=forged` stays one parameter instead of adding a
 * payout (issue 7 item 7), and `"` or `<` cannot leave the attribute. The encoded form is inert
 * in text and script context too (encodeURIComponent leaves only A–Z a–z 0–9 - _ . ! ~ * ' ( ),
 * and the `'` is escaped), so one rule covers every place a macro can sit.
 */
export function renderPartnerHtml(template: string, params: Readonly<Record<string, string>>): string {
  return render(template, params, escapePixelValue);
}

const escapePixelValue: Escape = (v) => escapeHtml(escapeUrl(v));

/** A POST body template, escaped for its content type. */
export function renderPartnerBody(template: string, params: Readonly<Record<string, string>>, escapeValue: Escape): string {
  return render(template, params, escapeValue);
}
