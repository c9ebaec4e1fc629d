import type { Logger } from '../logger';
import { ConfigError, type Config } from '../config';
import { classifyHostStatically, createOutboundGuard, type OutboundGuard } from '../connector-kit/outbound-guard';
import { credentialParams } from '../connector-kit/redact';
import type { ResolvedDestination } from './destinations';

/** A URL the config makes us call: where it is configured, for messages that name it. */
export interface OutboundTarget {
  /** `destination "meta-main"` or `network webhook "ops"`. */
  owner: string;
  /** settings.url, settings.baseUrl, network.webhooks[0].url … */
  field: string;
  url: string;
}

/**
 * The one allow-list of every outbound request (issue 7 item 8): `outbound.allowPrivateTargets`,
 * plus the deprecated `network.allowPrivateTargets`, which opened partner postbacks only.
 */
export function outboundAllowList(config: Config): { entries: string[]; deprecated: boolean } {
  const old = config.network.allowPrivateTargets;
  return { entries: [...config.outbound.allowPrivateTargets, ...old], deprecated: old.length > 0 };
}

/** Every http(s) URL in the configured destinations (settings and credentials) and network webhooks. */
export function configuredTargets(config: Config, destinations: Iterable<ResolvedDestination>): OutboundTarget[] {
  const out: OutboundTarget[] = [];
  const walk = (owner: string, path: string, v: unknown) => {
    if (typeof v === 'string') {
      if (/^https?:\/\//i.test(v.trim())) out.push({ owner, field: path, url: v.trim() });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(owner, `${path}[${i}]`, x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(owner, path ? `${path}.${k}` : k, x);
  };
  for (const d of destinations) {
    walk(`destination "${d.config.id}"`, 'settings', d.settings);
    walk(`destination "${d.config.id}"`, 'credentials', d.credentials);
  }
  config.network.webhooks.forEach((w, i) => walk(`network webhook "${w.id}"`, `network.webhooks[${i}].url`, w.url));
  return out;
}

/** The host of a URL template, or null when a macro is in it ({sub1}.example.com: only the send can tell). */
function templateHost(url: string): string | null {
  const authority = /^https?:\/\/(?:[^/?#@]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
  if (authority.includes('{')) return null;
  try {
    return new URL(`http://${authority}/`).hostname;
  } catch {
    return '';
  }
}

/**
 * Boot check of configured URLs: a destination aimed at a loopback, private or metadata address
 * stops the boot with a message naming it (never the URL, which may carry a secret). Only what
 * is decidable without DNS — addresses (in every notation), localhost, metadata names — is
 * checked here; a name that resolves to a private address is refused at connect time.
 */
export function targetProblems(targets: readonly OutboundTarget[], guard: OutboundGuard): string[] {
  const problems: string[] = [];
  for (const t of targets) {
    const host = templateHost(t.url);
    if (host === null) continue;
    if (host === '') {
      problems.push(`${t.owner} ${t.field}: the URL cannot be parsed`);
      continue;
    }
    const verdict = classifyHostStatically(host, guard.allow);
    if (verdict && !verdict.allowed) problems.push(`${t.owner} ${t.field}: refused, ${verdict.reason}`);
  }
  return problems;
}

/** Warnings for credentials pasted into URLs: names the destination and parameter, never the value. */
export function credentialWarnings(targets: readonly OutboundTarget[]): string[] {
  const out: string[] = [];
  for (const t of targets) {
    // Credentials themselves are already where they belong.
    if (t.field.startsWith('credentials')) continue;
    for (const p of credentialParams(t.url)) {
      if (/^\{[A-Za-z0-9_]+\}$/.test(p.value) || p.value === '') continue; // a macro, not a pasted secret
      out.push(
        `${t.owner} ${t.field}: the query parameter "${p.name}" looks like a credential; move it to the destination's credentials (http-postback: credentials.query), which are kept out of the config's settings. Meanwhile it is redacted from attempts and logs.`,
      );
    }
  }
  return out;
}

/**
 * Builds the guard every outbound client uses, refuses the boot on a private configured target,
 * and warns about the deprecated alias and credentials in URLs.
 */
export function prepareOutbound(config: Config, destinations: Iterable<ResolvedDestination>, logger: Logger): OutboundGuard {
  const allow = outboundAllowList(config);
  if (allow.deprecated)
    logger.warn('network.allowPrivateTargets is deprecated: move its entries to outbound.allowPrivateTargets, which covers every outbound request');
  let guard: OutboundGuard;
  try {
    guard = createOutboundGuard(allow.entries);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const targets = configuredTargets(config, destinations);
  const problems = targetProblems(targets, guard);
  if (problems.length > 0) throw new ConfigError(`outbound targets refused:\n  ${problems.join('\n  ')}`);
  for (const w of credentialWarnings(targets)) logger.warn(w);
  return guard;
}
