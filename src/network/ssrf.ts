import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { AddressGate } from './partner-http';

/**
 * Partner-entered URLs must not reach our own network (SSRF): loopback, private, link-local,
 * carrier-grade NAT, cloud metadata (169.254.169.254, fd00:ec2::254, 100.100.100.200), the
 * unspecified address, multicast and reserved ranges, in IPv4 and IPv6 (IPv4-mapped and NAT64
 * forms included). Checked when a postback is saved AND at every connect (partner-http.ts), since
 * DNS can change.
 */
const BLOCKED_V4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const;
const BLOCKED_V6 = [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64],
] as const;

const blocked = new BlockList();
for (const [net, bits] of BLOCKED_V4) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of BLOCKED_V6) blocked.addSubnet(net, bits, 'ipv6');

/** The IPv4 address inside ::ffff:a.b.c.d, ::ffff:7f00:1 or 64:ff9b::7f00:1, if any. */
function embeddedV4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(lower);
  if (!m) return null;
  if (m[1]) return m[1];
  const hi = parseInt(m[2] as string, 16);
  const lo = parseInt(m[3] as string, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

export function isBlockedAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const v4 = embeddedV4(ip);
  if (v4) return blocked.check(v4, 'ipv4');
  return blocked.check(ip, 'ipv6');
}

export type TargetVerdict = { ok: true } | { ok: false; why: 'private' | 'unresolvable' | 'unparseable'; reason: string };

export interface TargetPolicy extends AddressGate {
  /** When a postback is saved: the URL's host and every address it resolves to now. */
  check(url: string): Promise<TargetVerdict>;
}

/** `allow`: hosts (exact, case-insensitive) or IPs/CIDRs that are let through although private. */
export function createTargetPolicy(allow: readonly string[], resolve: (host: string) => Promise<string[]> = resolveAll): TargetPolicy {
  const hosts = new Set<string>();
  const nets = new BlockList();
  for (const entry of allow) {
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(addr);
    if (family === 0) hosts.add(entry.toLowerCase());
    else if (bits === undefined) nets.addAddress(addr, family === 6 ? 'ipv6' : 'ipv4');
    else nets.addSubnet(addr, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
  }
  const allowedIp = (ip: string) => {
    if (isIP(ip) === 0) return false;
    const v4 = isIP(ip) === 6 ? embeddedV4(ip) : null;
    return v4 ? nets.check(v4, 'ipv4') : nets.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  };
  const why = (host: string, address: string) =>
    `the host ${host} is or resolves to ${address}, a loopback/private/link-local/metadata address (network.allowPrivateTargets opens it)`;
  // The answer per address never changes (the lists are fixed at boot): remember it, so a busy
  // partner costs one BlockList walk per address, not one per request. Bounded: cleared when full.
  const verdicts = new Map<string, boolean>();
  const blockedHere = (address: string): boolean => {
    let v = verdicts.get(address);
    if (v === undefined) {
      if (verdicts.size >= 10_000) verdicts.clear();
      v = isBlockedAddress(address) && !allowedIp(address);
      verdicts.set(address, v);
    }
    return v;
  };
  return {
    refuse(host, address) {
      if (hosts.size > 0 && hosts.has(host.toLowerCase())) return null;
      return blockedHere(address) ? why(host, address) : null;
    },
    async check(url) {
      let host: string;
      try {
        // The WHATWG parser normalises 2130706433, 0x7f.1 and 127.1 to 127.0.0.1.
        host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
      } catch {
        return { ok: false, why: 'unparseable', reason: 'the URL cannot be parsed' };
      }
      if (hosts.has(host)) return { ok: true };
      let addresses: string[];
      if (isIP(host)) addresses = [host];
      else {
        try {
          addresses = await resolve(host);
        } catch (err) {
          return { ok: false, why: 'unresolvable', reason: `the host ${host} does not resolve (${(err as { code?: string }).code ?? 'DNS error'})` };
        }
      }
      const bad = addresses.find(blockedHere);
      return bad ? { ok: false, why: 'private', reason: why(host, bad) } : { ok: true };
    },
  };
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
