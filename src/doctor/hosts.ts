import { isIP } from 'node:net';
import { finding, type Finding } from './findings';
import type { DoctorGuard } from './guard';
import type { UrlParts } from './url-scan';

/** Decides whether an address may be reached (guard.ts). */
export type AddressGate = Pick<DoctorGuard, 'refuse'>;

/** Names that are private without asking DNS (RFC 6761 `localhost`; the clouds' metadata names). */
const KNOWN_NAMES: Array<[RegExp, string]> = [
  [/^localhost$|\.localhost$/, '127.0.0.1'],
  [/^metadata\.google\.internal$|^metadata$/, '169.254.169.254'],
  [/^instance-data(\.ec2\.internal)?$/, '169.254.169.254'],
];

/**
 * Hosts that are, without a DNS lookup, loopback / private / link-local / metadata addresses:
 * IP literals in any form the WHATWG parser accepts (2130706433, 0x7f.1 and 127.1 are all
 * 127.0.0.1) and the names above. Hostnames that resolve to such addresses are found by the
 * live check, which asks DNS (live.ts), and refused again at connect time by the guarded client.
 */
export function hostFindings(parts: UrlParts, gate: AddressGate | undefined): Finding[] {
  if (!gate || parts.host.includes('{')) return [];
  let host: string;
  try {
    host = new URL(`${parts.scheme}://${parts.host.replace(/\{[^}]*\}/g, 'x')}/`).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return [];
  }
  const address = isIP(host) ? host : KNOWN_NAMES.find(([re]) => re.test(host))?.[1];
  if (!address) return [];
  const reason = gate.refuse(host, address);
  if (!reason) return [];
  return [privateHostFinding(host, reason, { start: parts.hostStart, end: parts.hostEnd })];
}

export function privateHostFinding(host: string, reason: string, position: { start: number; end: number } | null): Finding {
  return finding(
    'error',
    'PRIVATE_HOST',
    `Refused: ${host} is not on the public internet (${reason}). Postbacks are never sent to private, loopback or cloud-metadata addresses, because that would let a URL reach machines inside our own network.`,
    "Use the public https:// address of the tracker or partner. If this really is your own server on a private network, the gateway operator can list it in the config's allowPrivateTargets (metadata addresses stay refused).",
    position,
  );
}
