import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard of every outbound request (issue 7 item 8): is this address one we may connect
 * to? Ranges come from ipaddr.js (IANA special-purpose registries,
 * https://github.com/whitequark/ipaddr.js#ipv4-properties) instead of a hand list, and IPv6
 * transition forms are decoded to the IPv4 address they carry, so `::ffff:169.254.169.254`,
 * `::a9fe:a9fe`, `64:ff9b::a9fe:a9fe` or `2002:a9fe:a9fe::` are judged as 169.254.169.254.
 *
 * Only public unicast is allowed by default. `outbound.allowPrivateTargets` opens CIDRs or host
 * names; cloud metadata addresses stay refused whatever it says.
 *
 * Pure apart from `checkHost`, which resolves a name; the HTTP client (http-client.ts) applies
 * `refuse` at connect time inside its DNS lookup, and the doctor reuses `classifyTarget`.
 */

/** Instance-metadata endpoints: AWS (IMDS v4/v6, ECS, EKS pod identity), GCP/Azure/OCI share 169.254.169.254, Alibaba. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', 'fd00:ec2::254', 'fd00:ec2::23']);
/** Names that mean this machine or a metadata service whatever DNS says (refused before any lookup). */
const LOCAL_NAMES = /^(?:localhost|localhost\.localdomain|.+\.localhost|ip6-localhost|ip6-loopback)$/;
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

const LABELS: Record<string, string> = {
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (RFC 6598)',
  private: 'a private address (RFC 1918)',
  reserved: 'a reserved or documentation address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  discard: 'a discard-only address (100::/64)',
  benchmarking: 'a benchmarking address',
  as112: 'an AS112 address',
  as112v6: 'an AS112 address',
  amt: 'an AMT relay address',
  deprecatedOrchid: 'an ORCHID address',
  orchid2: 'an ORCHID address',
  droneRemoteIdProtocolEntityTags: 'a DRIP entity tag',
  segmentRouting: 'a segment-routing SID (5f00::/16)',
};

export interface AllowList {
  readonly nets: ReadonlyArray<{ entry: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }>;
  readonly hosts: ReadonlySet<string>;
}

export interface TargetClass {
  allowed: boolean;
  /** One sentence for people: what the address is and why it is (not) allowed. */
  reason: string;
  /** The address as normalised (127.1 → 127.0.0.1), or the input when it is not an address. */
  address: string;
  /** public · loopback · private · metadata · 6to4 · … (ipaddr.js range names, plus ours). */
  range: string;
  /** IPv4 addresses carried inside an IPv6 transition form. */
  embedded: string[];
}

export const EMPTY_ALLOW: AllowList = { nets: [], hosts: new Set() };
const ALLOW_KEY = 'outbound.allowPrivateTargets';

const normalHost = (host: string) =>
  host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');

/** Why an allow-list entry is not a CIDR, an address or a host name; null when it is fine. */
export function allowEntryProblem(entry: string): string | null {
  if (entry.includes('/')) return ipaddr.isValidCIDR(entry) ? null : `"${entry}" is not a valid CIDR range`;
  if (ipaddr.isValid(entry)) return null;
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry)
    ? null
    : `"${entry}" is neither a CIDR, an IP address nor a host name`;
}

export function parseAllowList(entries: readonly string[]): AllowList {
  const nets: Array<AllowList['nets'][number]> = [];
  const hosts = new Set<string>();
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem) throw new TypeError(`${ALLOW_KEY}: ${problem}`);
    if (entry.includes('/')) nets.push({ entry, range: ipaddr.parseCIDR(entry) });
    else if (ipaddr.isValid(entry)) {
      // ipaddr.process: an entry written as ::ffff:10.0.0.1 opens 10.0.0.1, the address it stands for.
      const a = ipaddr.process(entry);
      nets.push({ entry, range: [a, a.kind() === 'ipv4' ? 32 : 128] });
    } else hosts.add(normalHost(entry));
  }
  return { nets, hosts };
}

const toAllow = (allow: AllowList | readonly string[]): AllowList => ('nets' in allow ? allow : parseAllowList(allow));

function v4FromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
}

interface Decoded {
  /** The IPv4 address this IPv6 address stands for (mapped, translated, compatible, NAT64 well-known prefix). */
  same?: ipaddr.IPv4;
  /** IPv4 addresses it tunnels to or through (6to4, Teredo, local-use NAT64): not the same host. */
  carried: ipaddr.IPv4[];
  form?: string;
}

/** Decodes the IPv4 inside IPv6 transition forms (RFC 4291 §2.5.5, RFC 6052, RFC 6145, RFC 8215, RFC 3056, RFC 4380). */
function decodeV6(a: ipaddr.IPv6): Decoded {
  const p = a.parts;
  const last = v4FromWords(p[6] as number, p[7] as number);
  const zero = (from: number, to: number) => p.slice(from, to).every((w) => w === 0);
  if (zero(0, 5) && p[5] === 0xffff) return { same: last, carried: [], form: 'IPv4-mapped' };
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) return { same: last, carried: [], form: 'IPv4-translated (RFC 6145)' };
  // ::a.b.c.d (deprecated IPv4-compatible); :: and ::1 are themselves, not IPv4.
  if (zero(0, 6) && ((p[6] as number) !== 0 || (p[7] as number) > 1)) return { same: last, carried: [], form: 'IPv4-compatible' };
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(2, 6)) return { same: last, carried: [], form: 'NAT64 (64:ff9b::/96)' };
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) {
    // Local-use prefix, any length /48…/96 (RFC 8215): try the /48 layout (bits 48–63, 72–87) and the /96 one.
    const at48 = new ipaddr.IPv4([(p[3] as number) >> 8, (p[3] as number) & 255, (p[4] as number) & 255, (p[5] as number) >> 8]);
    return { carried: [at48, last], form: 'local-use NAT64 (64:ff9b:1::/48)' };
  }
  if (p[0] === 0x2002) return { carried: [v4FromWords(p[1] as number, p[2] as number)], form: '6to4 (2002::/16)' };
  if (p[0] === 0x2001 && p[1] === 0) {
    // Teredo: server IPv4 in bits 32–63, client IPv4 inverted in the last 32 (RFC 4380 §4).
    const client = v4FromWords(~(p[6] as number) & 0xffff, ~(p[7] as number) & 0xffff);
    return { carried: [v4FromWords(p[2] as number, p[3] as number), client], form: 'Teredo (2001::/32)' };
  }
  return { carried: [] };
}

function allowedBy(addr: ipaddr.IPv4 | ipaddr.IPv6, allow: AllowList): string | null {
  for (const n of allow.nets) if (n.range[0].kind() === addr.kind() && addr.match(n.range)) return n.entry;
  return null;
}

/** The range name of an address, with public v6 limited to global unicast 2000::/3. */
function rangeOf(a: ipaddr.IPv4 | ipaddr.IPv6): string {
  const r = a.range();
  if (r !== 'unicast') return r;
  if (a.kind() === 'ipv6' && ((a as ipaddr.IPv6).parts[0] as number) >> 13 !== 1) return 'reserved';
  return 'public';
}

/**
 * Pure: may we connect to `ip`? Accepts every textual form ipaddr.js reads (dotted, decimal
 * `2130706433`, hex `0x7f.1`, octal, bracketed or zoned IPv6).
 */
export function classifyTarget(ip: string, allow: AllowList | readonly string[] = EMPTY_ALLOW): TargetClass {
  const list = toAllow(allow);
  const text = ip.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(text)) return { allowed: false, reason: `${ip} is not an IP address`, address: ip, range: 'invalid', embedded: [] };
  const parsed = ipaddr.parse(text);
  const address = parsed.toString();
  const decoded: Decoded = parsed.kind() === 'ipv6' ? decodeV6(parsed as ipaddr.IPv6) : { carried: [] };
  const embeddedAddrs = [...(decoded.same ? [decoded.same] : []), ...decoded.carried.filter((c) => c.toString() !== '0.0.0.0')];
  const embedded = embeddedAddrs.map((e) => e.toString());
  const via = decoded.form ? ` (${decoded.form} form of ${embedded.join(' / ')})` : '';
  const hit = [address.replace(/%.*$/, ''), ...embedded].find((a) => METADATA.has(a));
  if (hit) {
    return {
      allowed: false,
      reason: `${address}${hit === address ? '' : via} is a cloud metadata address (${hit}), refused even when allow-listed`,
      address,
      range: 'metadata',
      embedded,
    };
  }
  // The IPv4 a mapped/translated/compatible/NAT64 address stands for decides, as if written as IPv4.
  const judged = decoded.same ?? parsed;
  const range = decoded.same ? rangeOf(decoded.same) : decoded.carried.length > 0 ? 'transition' : rangeOf(parsed);
  if (range === 'public') return { allowed: true, reason: `${address}${via} is a public address`, address, range, embedded };
  // 6to4, Teredo and local-use NAT64 reach the carried IPv4 through a relay nobody vouches for.
  const label = range === 'transition' ? 'a tunnel address, not a public host' : (LABELS[range] ?? `a ${range} address`);
  const entry = allowedBy(judged, list) ?? (judged !== parsed ? allowedBy(parsed, list) : null);
  if (entry) return { allowed: true, reason: `${address}${via} is ${label}, allowed by ${ALLOW_KEY} (${entry})`, address, range, embedded };
  return { allowed: false, reason: `${address}${via} is ${label}; list it in ${ALLOW_KEY} to allow it`, address, range, embedded };
}

export interface HostVerdict {
  allowed: boolean;
  reason: string;
  /** Every address the host is or resolved to, classified. */
  addresses: TargetClass[];
  why?: 'private' | 'unresolvable' | 'unparseable';
}

export type Resolver = (host: string) => Promise<string[]>;

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/**
 * Pure, no DNS: the verdict on a host that needs no lookup (an address, localhost, a metadata
 * name); null when only DNS can tell. Used at boot for configured URLs and first by `checkHost`.
 */
export function classifyHostStatically(host: string, allow: AllowList | readonly string[] = EMPTY_ALLOW): HostVerdict | null {
  const list = toAllow(allow);
  const name = normalHost(host);
  if (ipaddr.isValid(name)) {
    const c = classifyTarget(name, list);
    return { allowed: c.allowed, reason: c.reason, addresses: [c], ...(c.allowed ? {} : { why: 'private' as const }) };
  }
  if (METADATA_NAMES.has(name)) {
    return { allowed: false, reason: `${name} is a cloud metadata host, refused even when allow-listed`, addresses: [], why: 'private' };
  }
  if (LOCAL_NAMES.test(name)) {
    if (list.hosts.has(name)) return { allowed: true, reason: `${name} is this machine, allowed by ${ALLOW_KEY} (${name})`, addresses: [] };
    return { allowed: false, reason: `${name} is this machine (loopback); list it in ${ALLOW_KEY} to allow it`, addresses: [], why: 'private' };
  }
  return null;
}

/** The host of an http(s) URL as the WHATWG parser normalises it (2130706433, 0x7f.1 and 127.1 → 127.0.0.1). */
export function urlHost(url: string): string | null {
  try {
    return normalHost(new URL(url).hostname);
  } catch {
    return null;
  }
}

/** "the host x resolves to 10.0.0.5, which is a private address …" */
const resolvesTo = (name: string, reason: string) => `the host ${name} resolves to ${reason.replace(/^(\S+(?: \([^)]*\))?) is /, '$1, which is ')}`;

export interface OutboundGuard {
  readonly allow: AllowList;
  /** At connect time, per resolved address: null = allowed, otherwise why not. */
  refuse(host: string, address: string): string | null;
  /** A host and every address it resolves to now (a partner URL when it is saved, the doctor). */
  checkHost(host: string): Promise<HostVerdict>;
  checkUrl(url: string): Promise<HostVerdict>;
}

export function createOutboundGuard(allow: AllowList | readonly string[] = EMPTY_ALLOW, resolve: Resolver = resolveAll): OutboundGuard {
  const list = toAllow(allow);
  // The answer per address never changes (the list is fixed at boot): remember it, so a busy
  // destination costs one classification per address, not one per connect. Bounded.
  const verdicts = new Map<string, string | null>();
  const refuseAddress = (address: string): string | null => {
    let v = verdicts.get(address);
    if (v === undefined) {
      if (verdicts.size >= 10_000) verdicts.clear();
      const c = classifyTarget(address, list);
      v = c.allowed ? null : c.reason;
      verdicts.set(address, v);
    }
    return v;
  };
  const guard: OutboundGuard = {
    allow: list,
    refuse(host, address) {
      const name = normalHost(host);
      if (list.hosts.has(name)) {
        // An allow-listed name may be private, never metadata.
        const c = classifyTarget(address, list);
        return c.range === 'metadata' ? resolvesTo(name, c.reason) : null;
      }
      const why = refuseAddress(address);
      return why === null ? null : name === normalHost(address) ? why : resolvesTo(name, why);
    },
    async checkHost(host) {
      const name = normalHost(host);
      const fixed = classifyHostStatically(name, list);
      if (fixed) return fixed;
      let addresses: string[];
      try {
        addresses = await resolve(name);
      } catch (err) {
        return {
          allowed: false,
          reason: `the host ${name} does not resolve (${(err as { code?: string }).code ?? 'DNS error'})`,
          addresses: [],
          why: 'unresolvable',
        };
      }
      const classes = addresses.map((a) => classifyTarget(a, list));
      if (list.hosts.has(name)) {
        const meta = classes.find((c) => c.range === 'metadata');
        if (meta) return { allowed: false, reason: resolvesTo(name, meta.reason), addresses: classes, why: 'private' };
        return { allowed: true, reason: `${name} is allowed by ${ALLOW_KEY} (${name})`, addresses: classes };
      }
      // ANY private address refuses the host: the connect may pick any of them.
      const bad = classes.find((c) => !c.allowed);
      if (bad) return { allowed: false, reason: resolvesTo(name, bad.reason), addresses: classes, why: 'private' };
      return { allowed: true, reason: `the host ${name} resolves to public addresses only (${addresses.join(', ')})`, addresses: classes };
    },
    async checkUrl(url) {
      const host = urlHost(url);
      if (host === null) return { allowed: false, reason: 'the URL cannot be parsed', addresses: [], why: 'unparseable' };
      return guard.checkHost(host);
    },
  };
  return guard;
}

/** The doctor's entry point: a host (name or address) checked against an allow list. */
export function checkHost(host: string, allow: AllowList | readonly string[] = EMPTY_ALLOW, resolve: Resolver = resolveAll): Promise<HostVerdict> {
  return createOutboundGuard(allow, resolve).checkHost(host);
}
