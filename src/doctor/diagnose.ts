import type { SourceConfig } from '../config';
import type { PartnerPostback } from '../network/model';
import { finding, type DoctorInput, type Finding, type MacroDialect } from './findings';
import { duplicateFindings, type DoctorDestination } from './duplicates';
import { CLICK_ID_MACROS, didYouMean, MACROS, PAYOUT_MACROS, TRAFFIC_SOURCE_MACROS, TRANSACTION_MACROS } from './macro-reference';
import { inboundFindings } from './inbound';
import { hostFindings, type AddressGate } from './hosts';
import { macroSyntaxFindings, macroTokens, urlShape, VALID_MACRO_NAME } from './url-scan';

/** What the doctor may compare a URL with; everything is optional, so the pure doctor runs on a URL alone. */
export interface DoctorEnv {
  /** The configured sources (inbound URLs: parameter names and the secret `key`). */
  sources?: readonly Pick<SourceConfig, 'id' | 'secret' | 'params'>[];
  /** server.publicUrl: where inbound URLs should point. */
  publicUrl?: string | undefined;
  /** Refuses private/loopback/metadata addresses (guard.ts); without it nothing is refused. */
  gate?: AddressGate;
  /** Stored partner postbacks, for the duplicate check. */
  postbacks?: readonly PartnerPostback[];
  /** Configured destinations, for the duplicate check and the macro reference. */
  destinations?: readonly DoctorDestination[];
}

/** Which reference the URL's macros are read against (findings.ts MACRO_DIALECTS). */
function dialectOf(input: DoctorInput, env: DoctorEnv): MacroDialect {
  if (input.context.macros) return input.context.macros;
  if (input.kind !== 'outbound' || input.context.scope) return 'everflow';
  const dest = input.context.destination ? env.destinations?.find((d) => d.id === input.context.destination) : undefined;
  return dest?.connector === 'http-postback' ? 'closeloop' : 'everflow';
}

const REFERENCE_NAME: Record<MacroDialect, string> = { everflow: "Everflow's macro reference", closeloop: "Closeloop's http-postback macros" };

/** URLs inside an HTML pixel (`src=`, `href=`), with their offsets; a bare URL is its own single entry. */
function pixelUrls(code: string): Array<{ url: string; offset: number }> {
  if (!/^\s*</.test(code)) return [{ url: code, offset: 0 }];
  return [...code.matchAll(/\b(?:src|href)\s*=\s*(["']?)([^"'\s>]+)\1/gi)].map((m) => ({
    url: m[2] as string,
    offset: (m.index as number) + m[0].indexOf(m[2] as string),
  }));
}

/**
 * The pure postback doctor: every check that needs no network (the five failure modes of a network's postback
 * guide, https://www.ourdreamaiaffiliate.com/onboarding/postbacks, and
 * the URL's own shape). The live check (live.ts) adds what only a request can tell.
 */
export function diagnose(input: DoctorInput, env: DoctorEnv = {}): Finding[] {
  const dialect = dialectOf(input, env);
  const out: Finding[] = [];
  const text = input.url;
  if (text.trim() === '') {
    return [finding('error', 'EMPTY_URL', 'There is no URL to check.', 'Paste the full postback URL, starting with https://.')];
  }

  const targets = input.kind === 'pixel' ? pixelUrls(text) : [{ url: text, offset: 0 }];
  if (targets.length === 0) {
    out.push(
      finding(
        'error',
        'PIXEL_WITHOUT_URL',
        'The pixel code has no src= or href= URL, so nothing is loaded when it fires.',
        'Use an image pixel such as <img src="https://tracker.example.com/pixel?tid={transaction_id}" width="1" height="1">.',
      ),
    );
    return out;
  }
  for (const t of targets) {
    const shape = urlShape(t.url);
    out.push(...shift(shape.findings, t.offset));
    if (shape.parts) {
      out.push(...shift(hostFindings(shape.parts, env.gate), t.offset));
      if (input.kind === 'pixel' && shape.parts.scheme === 'http') {
        out.push(
          finding(
            'warning',
            'PIXEL_MIXED_CONTENT',
            'This pixel loads over http://. Conversion pages are served over https, and browsers block http:// images and frames on them, so the pixel never fires.',
            'Use the https:// address of the pixel.',
            { start: t.offset, end: t.offset + 4 },
          ),
        );
      }
      if (input.kind === 'inbound') out.push(...inboundFindings(t.url, shape.parts, input, env));
    }
  }

  out.push(...macroSyntaxFindings(text));
  // {{x}} is reported by macroSyntaxFindings; its inner {x} is not judged again.
  const tokens = macroTokens(text).filter((m) => !(text[m.start - 1] === '{' && text[m.end] === '}'));
  const reference = MACROS[dialect];
  for (const m of tokens) {
    if (reference.has(m.name)) continue;
    const source = TRAFFIC_SOURCE_MACROS[m.name];
    if (source) {
      out.push(...trafficSourceFinding(m, source, input));
      continue;
    }
    if (input.kind === 'inbound' && m.name === 'secret') continue; // inbound.ts explains the placeholder
    const guess = didYouMean(m.name, dialect);
    const literally = `sends "{${m.name}}" literally instead of a value`;
    out.push(
      finding(
        'error',
        'UNKNOWN_MACRO',
        guess
          ? `{${m.name}} is not a macro${VALID_MACRO_NAME.test(m.name) ? '' : ' (macro names have only letters, digits and _)'}: macro names are case-sensitive and must match ${REFERENCE_NAME[dialect]} exactly. The network ${literally}. Did you mean {${guess}}?`
          : `{${m.name}} is not in ${REFERENCE_NAME[dialect]}. The network ${literally}.`,
        guess
          ? `Replace {${m.name}} with {${guess}}.`
          : `Use a macro from the reference (e.g. {${dialect === 'everflow' ? 'sub5' : 'click_id'}}), or remove {${m.name}}.`,
        { start: m.start, end: m.end },
      ),
    );
  }
  // Macros after a `#` are never sent (FRAGMENT): they do not count as carried.
  const hash = input.kind === 'pixel' ? -1 : text.indexOf('#');
  const sent = tokens.filter((t) => hash === -1 || t.start < hash).map((t) => t.name);
  if (input.kind !== 'inbound') out.push(...requiredMacroFindings(sent, dialect, input));
  out.push(...duplicateFindings(input, env));
  return dedupe(out);
}

function shift(findings: Finding[], offset: number): Finding[] {
  if (offset === 0) return findings;
  return findings.map((f) => (f.position ? { ...f, position: { start: f.position.start + offset, end: f.position.end + offset } } : f));
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}@${f.position?.start ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Seed 001: "a Global postback that requires a parameter only one traffic source provides" — the most common deactivation. */
function trafficSourceFinding(m: { name: string; start: number; end: number }, source: (typeof TRAFFIC_SOURCE_MACROS)[string], input: DoctorInput): Finding[] {
  const scope = input.context.scope;
  const traffic = (input.context.traffic_sources ?? []).map((s) => s.toLowerCase());
  const onlyThis = traffic.length > 0 && traffic.every((t) => source.platforms.includes(t));
  const position = { start: m.start, end: m.end };
  if (onlyThis || scope === 'specific') return [];
  const others = traffic.filter((t) => !source.platforms.includes(t));
  if (scope === 'global' || scope === 'global_offer') {
    return [
      finding(
        'error',
        'SOURCE_SPECIFIC_MACRO_IN_GLOBAL',
        `{${m.name}} is filled only for ${source.label} traffic, but this ${scope === 'global' ? 'Global' : 'Global (offer)'} postback fires on every conversion${others.length ? ` (including ${others.join(', ')} traffic)` : ''}. Those fires carry an empty {${m.name}}, the destination rejects them, and after 10 failures in 72 hours the postback is deactivated.`,
        `Make this a Specific postback for the ${source.label} offer/partner only, and keep the Global one on {sub5} and {transaction_id}.`,
        position,
      ),
    ];
  }
  return [
    finding(
      'warning',
      'SOURCE_SPECIFIC_MACRO',
      `{${m.name}} is filled only for ${source.label} traffic. If this postback also fires for other traffic, those fires carry an empty value and fail.`,
      `Use it only in a postback scoped to ${source.label} traffic (scope Specific), or pass the click id through {sub5} instead.`,
      position,
    ),
  ];
}

function requiredMacroFindings(names: string[], dialect: MacroDialect, input: DoctorInput): Finding[] {
  const has = (list: readonly string[]) => list.some((n) => names.includes(n));
  const out: Finding[] = [];
  const clickIds = dialect === 'everflow' ? '{sub5} (your click id) or {transaction_id}' : '{click_id}';
  if (!has(CLICK_ID_MACROS[dialect]) && !names.some((n) => TRAFFIC_SOURCE_MACROS[n])) {
    out.push(
      finding(
        'error',
        'MISSING_CLICK_ID',
        'The URL carries no click id, so the receiver cannot tell which click converted and cannot credit the traffic source.',
        `Add the click id, e.g. click_id=${dialect === 'everflow' ? '{sub5}' : '{click_id}'} (${clickIds}).`,
      ),
    );
  }
  if (!has(TRANSACTION_MACROS[dialect])) {
    out.push(
      finding(
        input.kind === 'pixel' ? 'error' : 'warning',
        'MISSING_TRANSACTION_ID',
        'The URL carries no transaction id, so the receiver cannot tell a retry from a second sale: conversions may be counted twice or dropped as duplicates.',
        'Add tx_id={transaction_id}.',
      ),
    );
  }
  if (input.kind === 'outbound' && !has(PAYOUT_MACROS[dialect])) {
    out.push(
      finding(
        'info',
        'MISSING_PAYOUT',
        'The URL carries no payout, so the receiver records every conversion without a value.',
        'Add payout={payout} if your tracker reports revenue.',
      ),
    );
  }
  return out;
}
