import { createHash, timingSafeEqual } from 'node:crypto';
import type { SourceConfig } from '../config';
import type { DoctorEnv } from './diagnose';
import { finding, type DoctorInput, type Finding } from './findings';
import { macroTokens, type UrlParts } from './url-scan';

type Params = Pick<SourceConfig['params'], 'clickId' | 'transactionId' | 'payout' | 'key'>;
/** The defaults of config.ts `sourceParamsSchema`, for a URL checked without a source. */
const DEFAULT_PARAMS: Params = { clickId: 'click_id', transactionId: 'tx_id', payout: 'payout', key: 'key' };

const digest = (s: string) => createHash('sha256').update(s).digest();
const loose = (s: string) => s.toLowerCase().replace(/[\s_.-]/g, '');
const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/**
 * An inbound URL is the one pasted into the network: it must reach our /postback with the
 * source's secret and the source's parameter names for click id, transaction id and payout,
 * each filled by a macro.
 */
export function inboundFindings(url: string, parts: UrlParts, input: DoctorInput, env: DoctorEnv): Finding[] {
  const out: Finding[] = [];
  const path = /^[a-z]+:\/\/[^/?#]*(\/[^?#]*)?/i.exec(url.trim())?.[1] ?? '/';
  const pathSource = /^\/postback\/([^/]+)\/?$/.exec(path)?.[1];
  if (!/^\/postback(\/[^/]+)?\/?$/.test(path)) {
    out.push(
      finding(
        'warning',
        'WRONG_PATH',
        `The path is ${path}, but Closeloop receives postbacks at /postback (or /postback/<source>).`,
        'Copy the URL from Links & sources (or `closeloop urls`) instead of typing it.',
      ),
    );
  }
  if (env.publicUrl) {
    const expected = new URL(env.publicUrl);
    const given = (() => {
      try {
        return new URL(url.trim().replace(/\{[^}]*\}/g, 'x'));
      } catch {
        return null;
      }
    })();
    if (given && given.host.toLowerCase() !== expected.host.toLowerCase()) {
      out.push(
        finding(
          'warning',
          'NOT_THIS_GATEWAY',
          `This URL points at ${given.host}, but this gateway is reachable at ${expected.host}: postbacks sent there never reach it.`,
          `Use ${expected.origin}/postback… (see Links & sources).`,
          { start: parts.hostStart, end: parts.hostEnd },
        ),
      );
    }
  }

  const wanted = input.context.source ?? pathSource;
  const sources = env.sources ?? [];
  const keyPairs = parts.query;
  let source = wanted ? sources.find((s) => s.id === wanted) : undefined;
  if (wanted && sources.length > 0 && !source) {
    out.push(
      finding(
        'error',
        'UNKNOWN_SOURCE',
        `No source "${wanted}" is configured, so every postback to this URL is refused.`,
        `Use one of: ${sources.map((s) => s.id).join(', ')}.`,
      ),
    );
  }
  if (!wanted && sources.length > 0) {
    // The source whose secret the URL carries (constant-time, as the intake compares), else the only one.
    source =
      sources.find((s) => keyPairs.some((p) => p.name === s.params.key && timingSafeEqual(digest(decode(p.value)), digest(s.secret)))) ??
      (sources.length === 1 ? sources[0] : undefined);
  }
  const names: Params = source?.params ?? DEFAULT_PARAMS;
  const of = source ? ` of source "${source.id}"` : '';
  const param = (name: string) => keyPairs.find((p) => p.name === name);
  const known = new Set([names.clickId, names.transactionId, names.payout, names.key, ...(source ? Object.values(source.params) : [])]);
  const misnamed = (name: string) => keyPairs.find((p) => !known.has(p.name) && loose(p.name) === loose(name));

  const key = param(names.key);
  if (!key) {
    out.push(
      finding(
        'error',
        'MISSING_KEY',
        `The URL has no ${names.key}= parameter: Closeloop refuses every postback without the source's secret (401).`,
        `Add ${names.key}=<the secret${of}> (shown on demand in Links & sources, or \`closeloop urls --reveal\`).`,
      ),
    );
  } else if (decode(key.value) === '{secret}') {
    out.push(
      finding(
        'error',
        'KEY_PLACEHOLDER',
        `${names.key}={secret} is a placeholder, not the secret: the network would send the word "{secret}" and every postback would be refused.`,
        `Replace {secret} with the secret${of} before pasting the URL into the network.`,
        { start: key.start, end: key.end },
      ),
    );
  } else if (key.value === '' || macroTokens(key.value).length > 0) {
    out.push(
      finding(
        'error',
        'MISSING_KEY',
        `${names.key}= must be the source's fixed secret, not ${key.value === '' ? 'empty' : 'a macro'}.`,
        `Write ${names.key}=<the secret${of}>.`,
        { start: key.start, end: key.end },
      ),
    );
  } else if (source && !timingSafeEqual(digest(decode(key.value)), digest(source.secret))) {
    out.push(
      finding(
        'error',
        'KEY_MISMATCH',
        `The ${names.key}= value is not the secret${of}: Closeloop would refuse every postback (401).`,
        `Copy the secret${of} again (Links & sources → show secret).`,
        { start: key.start, end: key.end },
      ),
    );
  }

  const required: Array<[string, string, string, string]> = [
    [names.clickId, 'MISSING_CLICK_ID', '{sub5}', 'the click id, so the conversion cannot be matched to its click and is forwarded to no ad platform'],
    [
      names.transactionId,
      'MISSING_TRANSACTION_ID',
      '{transaction_id}',
      'the transaction id; Closeloop refuses postbacks without one (it is how retries are told apart from new sales)',
    ],
    [names.payout, 'MISSING_PAYOUT', '{payout}', 'the payout, so every conversion reaches the ad platforms without a value and value-based bidding is blind'],
  ];
  for (const [name, code, macro, what] of required) {
    const p = param(name);
    if (!p) {
      const near = misnamed(name);
      out.push(
        finding(
          'error',
          code,
          near
            ? `"${near.name}=" is not a parameter${of} reads; it reads ${name}=. Without it the postback lacks ${what}.`
            : `The URL has no ${name}= parameter: the postback lacks ${what}.`,
          near ? `Rename ${near.name}= to ${name}=.` : `Add &${name}=${macro}.`,
          near ? { start: near.start, end: near.end } : null,
        ),
      );
    } else if (macroTokens(p.value).length === 0 && !/%7b/i.test(p.value)) {
      out.push(
        finding(
          'warning',
          'FIXED_VALUE',
          `${name}=${p.value} is a fixed value, not a macro: every conversion would carry the same ${name}.`,
          `Write ${name}=${macro}.`,
          { start: p.start, end: p.end },
        ),
      );
    }
  }
  return out;
}
