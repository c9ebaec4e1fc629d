import { BlockList, isIP } from 'node:net';

/** Parses "1.2.3.4", "10.0.0.0/8", "::1", "fd00::/8" into a BlockList. */
export function ipList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(addr) === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  return list;
}

export function ipMatches(list: BlockList, ip: string): boolean {
  const plain = unmapV4(ip);
  const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
  return isIP(plain) !== 0 && list.check(plain, family);
}

/** ::ffff:1.2.3.4 (IPv4 on a dual-stack socket) → 1.2.3.4 */
export function unmapV4(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * The visitor's IP. X-Forwarded-For is believed only when the direct peer is a configured
 * trusted proxy, and then read from the right, skipping further trusted hops: the left-most
 * entries are whatever the client chose to send.
 */
export function clientIp(remote: string | undefined, forwardedFor: string | undefined, trusted: BlockList | null): string | null {
  if (!remote) return null;
  const peer = unmapV4(remote);
  if (!trusted || !forwardedFor || !ipMatches(trusted, peer)) return peer;
  const hops = forwardedFor
    .split(',')
    .map((h) => unmapV4(h.trim()))
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!ipMatches(trusted, hop)) return hop;
  }
  return hops[0] ?? peer;
}
