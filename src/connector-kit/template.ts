/**
 * `{macro}` templates, as affiliate networks write them (https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros;
 * a network's postback guide, https://www.ourdreamaiaffiliate.com/onboarding/postbacks):
 * - names are case-sensitive: `{Sub5}` is not `{sub5}`;
 * - an unknown macro goes out literally, so the receiver sees what was wrong (failure mode 2);
 * - a known macro without a value becomes empty (failure mode 1);
 * - values are escaped for where they land: URL component, HTML, JSON string.
 */
export type MacroValues = Readonly<Record<string, string | number | null | undefined>>;
export type Escape = (value: string) => string;

const MACRO = /\{([A-Za-z0-9_]+)\}/g;

export const escapeUrl: Escape = (v) => encodeURIComponent(v);
export const escapeJson: Escape = (v) => JSON.stringify(v).slice(1, -1);
export const escapeHtml: Escape = (v) => v.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
export const escapeNone: Escape = (v) => v;

export function renderTemplate(template: string, values: MacroValues, escapeValue: Escape): string {
  return template.replace(MACRO, (whole, name: string) => {
    if (!Object.hasOwn(values, name)) return whole;
    const value = values[name];
    if (value === null || value === undefined) return '';
    return escapeValue(typeof value === 'number' ? formatAmount(value) : value);
  });
}

/** The macro names a template uses, for validation and UI hints. */
export function macrosIn(template: string): string[] {
  return [...template.matchAll(MACRO)].map((m) => m[1] as string);
}

/** Amounts go out with a dot and no exponent: 1e-7 → "0.0000001", 12.5 → "12.5". */
export function formatAmount(n: number): string {
  if (!Number.isFinite(n)) return '';
  // Rounded to 10 decimals (so 0.1 + 0.2 → "0.3"), then printed as the shortest text that reads
  // back as that number: toFixed's own text carries float noise (1234567.891 → "…8910000001").
  // Only String's exponent form (below 1e-6 or from 1e21) needs expanding.
  const text = String(Number(n.toFixed(10)) || 0);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign = '', lead = '', frac = '', exp = '0'] = m;
  const digits = lead + frac;
  const point = 1 + Number(exp); // where the decimal point falls within `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
