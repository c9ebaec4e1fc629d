import { finding, type Finding } from './findings';

/**
 * The shape of a URL template, read as the network will read it: `{macro}` tokens, percent-encoded
 * braces, the scheme, the host, the query. Pure and dependency-free (no macro table), so the
 * connector schemas can use it through the kit without an import cycle.
 */
export interface MacroToken {
  name: string;
  start: number;
  end: number;
}

/** `{…}` with no brace inside: every token, valid name or not (`{sub-5}`, `{Sub 5}`). */
const BRACED = /\{([^{}]{0,64})\}/g;
/**
 * `%7Bsub5%7D`, `%7bsub5%7d`, and double-encoded `%257Bsub5%257D`
 * (https://www.ourdreamaiaffiliate.com/onboarding/postbacks: never encode the braces).
 */
const ENCODED = /%(?:25)?7b([A-Za-z0-9_.\- ]{0,64}?)%(?:25)?7d/gi;
const ENCODED_LONE = /%(?:25)?7[bd]/gi;
export const VALID_MACRO_NAME = /^[A-Za-z0-9_]+$/;

export function macroTokens(text: string): MacroToken[] {
  return [...text.matchAll(BRACED)].map((m) => ({ name: m[1] as string, start: m.index, end: m.index + m[0].length }));
}

/** Syntax problems of the macros themselves: encoded braces, double or unclosed braces. */
export function macroSyntaxFindings(text: string): Finding[] {
  const out: Finding[] = [];
  const encodedSpans: Array<[number, number]> = [];
  for (const m of text.matchAll(ENCODED)) {
    const name = m[1] as string;
    encodedSpans.push([m.index, m.index + m[0].length]);
    out.push(
      finding(
        'error',
        'ENCODED_MACRO',
        `${m[0]} is a macro with URL-encoded braces. The network only replaces {${name}} written with plain braces, so it sends "${m[0]}" as it is and your tracker never gets the value.`,
        `Write {${name}} instead of ${m[0]}: keep the { } as they are; the network encodes the value itself.`,
        { start: m.index, end: m.index + m[0].length },
      ),
    );
  }
  for (const m of text.matchAll(ENCODED_LONE)) {
    if (encodedSpans.some(([s, e]) => m.index >= s && m.index < e)) continue;
    out.push(
      finding(
        'error',
        'ENCODED_BRACE',
        `${m[0]} is an encoded brace. Macros must be written with plain { } or the network sends them literally.`,
        `Replace ${m[0]} with ${/d$/i.test(m[0]) ? '}' : '{'}.`,
        { start: m.index, end: m.index + m[0].length },
      ),
    );
  }
  for (const m of text.matchAll(/\{\{([^{}]{0,64})\}\}/g)) {
    out.push(
      finding(
        'error',
        'DOUBLE_BRACES',
        `${m[0]} has double braces: the network replaces the inner {${m[1]}} and leaves the outer braces around the value, so your tracker receives "{value}".`,
        `Use single braces: {${m[1]}}.`,
        { start: m.index, end: m.index + m[0].length },
      ),
    );
  }
  // A `{` with no `}` before the next `{`, `&`, or the end: `click_id={sub5&payout=…`.
  for (const m of text.matchAll(/\{(?!\{)[^{}&?#]{0,64}(?=$|[{&?#])/g)) {
    out.push(
      finding('error', 'UNCLOSED_BRACE', `${m[0]} opens a macro but never closes it, so it is sent literally.`, `Close it: ${m[0]}}.`, {
        start: m.index,
        end: m.index + m[0].length,
      }),
    );
  }
  return out;
}

/** The template with every macro replaced by a harmless sample, so the WHATWG parser can judge the rest. */
export function withSamples(text: string, sample: (name: string) => string = () => 'x'): string {
  return text.replace(BRACED, (_m, name: string) => sample(name));
}

export interface UrlParts {
  scheme: string;
  /** Offsets of the authority (host[:port]) in the original text. */
  hostStart: number;
  hostEnd: number;
  host: string;
  /** [name, value, start of the pair] of the query, in order. */
  query: Array<{ name: string; value: string; start: number; end: number }>;
}

/**
 * Malformed URLs (spaces, control characters, missing or wrong scheme, empty host, a second `?`,
 * a `#`), and the parts the other checks need. `parts` is null when the URL cannot be read.
 */
export function urlShape(url: string): { findings: Finding[]; parts: UrlParts | null } {
  const out: Finding[] = [];
  const ctl = /[\u0000-\u001f\u007f]/.exec(url);
  if (ctl) {
    out.push(
      finding(
        'error',
        'CONTROL_CHARACTER',
        'The URL contains an invisible control character (a line break or tab, usually from copy and paste). The network cuts the URL there or refuses it.',
        'Delete the URL and paste it again on one line, or retype the part around the marked position.',
        { start: ctl.index, end: ctl.index + 1 },
      ),
    );
  }
  for (const m of url.matchAll(/ +/g)) {
    const edge = m.index === 0 || m.index + m[0].length === url.length;
    out.push(
      finding(
        'error',
        'URL_HAS_SPACES',
        edge
          ? 'The URL starts or ends with a space. Some networks keep it and the request goes to a different address.'
          : 'The URL contains a space. A URL cannot contain spaces: the network cuts it there or encodes it, and the parameters after it are lost or wrong.',
        edge ? 'Remove the space at the start or end.' : 'Remove the space, or write %20 if it belongs to a fixed value.',
        { start: m.index, end: m.index + m[0].length },
      ),
    );
  }
  const trimmed = url.trim();
  const lead = url.indexOf(trimmed);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(trimmed);
  if (!scheme) {
    if (/^https?\/\//i.test(trimmed)) {
      const colonAt = lead + trimmed.indexOf('/');
      out.push(
        finding('error', 'MALFORMED_SCHEME', 'The URL is missing the colon after http or https.', `Write ${trimmed.replace(/^(https?)\/\//i, '$1://')}`, {
          start: lead,
          end: colonAt,
        }),
      );
    } else {
      const rest = trimmed.replace(/^\/*/, '');
      out.push(
        finding(
          'error',
          'MISSING_SCHEME',
          'The URL does not start with https:// (or http://). The network refuses it or treats it as a path on its own domain.',
          `Add the scheme: https://${rest}`,
          { start: lead, end: lead + Math.min(trimmed.length, 1) },
        ),
      );
    }
    return { findings: out, parts: null };
  }
  const name = (scheme[1] as string).toLowerCase();
  if (name !== 'http' && name !== 'https') {
    out.push(
      finding(
        'error',
        'UNSUPPORTED_SCHEME',
        `"${scheme[1]}:" is not a web address. Postbacks are sent over https:// (or http://) only.`,
        'Use the https:// address your tracker or partner gave you.',
        { start: lead, end: lead + scheme[0].length },
      ),
    );
    return { findings: out, parts: null };
  }
  const afterScheme = trimmed.slice(scheme[0].length);
  if (!afterScheme.startsWith('//')) {
    out.push(
      finding('error', 'MALFORMED_SCHEME', `After "${scheme[0]}" there must be two slashes.`, `Write ${scheme[0]}//${afterScheme.replace(/^\/*/, '')}`, {
        start: lead,
        end: lead + scheme[0].length + 1,
      }),
    );
    return { findings: out, parts: null };
  }
  const hostStart = lead + scheme[0].length + 2;
  const authorityEnd = trimmed.slice(scheme[0].length + 2).search(/[/?#]/);
  const hostEnd = authorityEnd === -1 ? lead + trimmed.length : hostStart + authorityEnd;
  const authority = url.slice(hostStart, hostEnd);
  const host = authority.replace(/^[^@]*@/, '');
  if (host === '' || /^:\d*$/.test(host)) {
    out.push(
      finding(
        'error',
        'EMPTY_HOST',
        'The URL has no domain: there is nothing between "//" and the path (three slashes in a row).',
        `Put your tracker's domain after ${scheme[0]}//, e.g. ${scheme[0]}//tracker.example.com/postback`,
        { start: hostStart - 2, end: hostEnd + 1 },
      ),
    );
    return { findings: out, parts: null };
  }
  try {
    new URL(withSamples(trimmed));
  } catch {
    out.push(
      finding(
        'error',
        'MALFORMED_URL',
        `The address "${host}" is not a valid domain, so the URL cannot be sent.`,
        'Check the domain for typos, stray characters or a missing dot.',
        { start: hostStart, end: hostEnd },
      ),
    );
    return { findings: out, parts: null };
  }
  const hash = trimmed.indexOf('#');
  if (hash !== -1) {
    out.push(
      finding(
        'warning',
        'FRAGMENT',
        'Everything after "#" is never sent to the server, so those parameters never reach your tracker.',
        'Remove the "#" or move what follows it into the query (after ?, joined with &).',
        { start: lead + hash, end: lead + trimmed.length },
      ),
    );
  }
  const q = trimmed.indexOf('?');
  const queryEnd = hash === -1 ? trimmed.length : hash;
  const query: UrlParts['query'] = [];
  if (q !== -1 && q < queryEnd) {
    const second = trimmed.indexOf('?', q + 1);
    if (second !== -1 && second < queryEnd) {
      out.push(
        finding(
          'warning',
          'SECOND_QUESTION_MARK',
          'The URL has a second "?": everything after it becomes part of the previous value instead of new parameters.',
          'Join parameters with "&"; only the first one follows "?".',
          { start: lead + second, end: lead + second + 1 },
        ),
      );
    }
    let at = q + 1;
    for (const pair of trimmed.slice(q + 1, queryEnd).split('&')) {
      const eq = pair.indexOf('=');
      if (pair !== '')
        query.push({ name: eq === -1 ? pair : pair.slice(0, eq), value: eq === -1 ? '' : pair.slice(eq + 1), start: lead + at, end: lead + at + pair.length });
      at += pair.length + 1;
    }
    const seen = new Map<string, number>();
    for (const p of query) {
      if (seen.has(p.name)) {
        out.push(
          finding(
            'warning',
            'DUPLICATE_PARAMETER',
            `The parameter "${p.name}" appears twice; receivers read only one of them (which one differs).`,
            `Keep one "${p.name}=…".`,
            { start: p.start, end: p.end },
          ),
        );
      }
      seen.set(p.name, p.start);
    }
  }
  return { findings: out, parts: { scheme: name, hostStart, hostEnd, host, query } };
}

/**
 * The errors a URL template must not be saved with, as plain strings: malformed URL or macro
 * syntax. Used by the config and API schemas (http-postback `url`, partner `postback_url`) so a
 * save and the doctor say the same thing.
 */
export function urlTemplateErrors(url: string): Finding[] {
  return [...urlShape(url).findings, ...macroSyntaxFindings(url)].filter((f) => f.severity === 'error');
}

/** The same errors as zod issue messages, one per problem: "<what is wrong> <the fix>". */
export function urlTemplateIssues(url: string): Array<{ code: string; message: string }> {
  return urlTemplateErrors(url).map((f) => ({ code: f.code, message: `${f.message} ${f.fix}` }));
}
