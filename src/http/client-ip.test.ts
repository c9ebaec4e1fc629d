import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientIp, ipList, ipMatches, unmapV4 } from './client-ip';

test('clientIp honours X-Forwarded-For only from trusted peers', () => {
  const trusted = ipList(['10.0.0.0/8', '192.0.2.1', 'fd00::/8']);
  const cases: Array<{ name: string; remote: string | undefined; xff?: string; trusted: ReturnType<typeof ipList> | null; want: string | null }> = [
    { name: 'no socket address', remote: undefined, trusted, want: null },
    { name: 'no proxies configured: XFF ignored', remote: '198.51.100.5', xff: '203.0.113.9', trusted: null, want: '198.51.100.5' },
    { name: 'untrusted peer: XFF ignored', remote: '198.51.100.5', xff: '203.0.113.9', trusted, want: '198.51.100.5' },
    { name: 'trusted peer without XFF', remote: '10.1.2.3', trusted, want: '10.1.2.3' },
    { name: 'trusted peer, one hop', remote: '10.1.2.3', xff: '203.0.113.9', trusted, want: '203.0.113.9' },
    { name: 'right-most untrusted hop wins over a spoofed left entry', remote: '10.1.2.3', xff: '6.6.6.6, 203.0.113.9', trusted, want: '203.0.113.9' },
    { name: 'a chain of trusted proxies is skipped', remote: '10.1.2.3', xff: '203.0.113.9, 192.0.2.1, 10.9.9.9', trusted, want: '203.0.113.9' },
    { name: 'all hops trusted: the left-most', remote: '10.1.2.3', xff: '10.0.0.7, 192.0.2.1', trusted, want: '10.0.0.7' },
    { name: 'garbage hops are skipped', remote: '10.1.2.3', xff: 'unknown, 203.0.113.9, not-an-ip', trusted, want: '203.0.113.9' },
    { name: 'only garbage: the peer', remote: '10.1.2.3', xff: 'unknown', trusted, want: '10.1.2.3' },
    { name: 'IPv4-mapped peer is trusted as IPv4', remote: '::ffff:10.1.2.3', xff: '203.0.113.9', trusted, want: '203.0.113.9' },
    { name: 'IPv4-mapped hop is unmapped', remote: '10.1.2.3', xff: '::ffff:203.0.113.9', trusted, want: '203.0.113.9' },
    { name: 'IPv4-mapped untrusted peer is unmapped', remote: '::ffff:198.51.100.5', trusted, want: '198.51.100.5' },
    { name: 'IPv6 trusted range', remote: 'fd12::1', xff: '2001:db8::5', trusted, want: '2001:db8::5' },
    { name: 'IPv6 untrusted peer', remote: '2001:db8::1', xff: '203.0.113.9', trusted, want: '2001:db8::1' },
    { name: 'CIDR edge: 11.0.0.1 is outside 10/8', remote: '11.0.0.1', xff: '203.0.113.9', trusted, want: '11.0.0.1' },
  ];
  for (const c of cases) assert.equal(clientIp(c.remote, c.xff, c.trusted), c.want, c.name);
});

test('ipList parses addresses and CIDRs and refuses garbage', () => {
  const list = ipList(['127.0.0.1', '172.16.0.0/12', '::1']);
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.0.0.2', false],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:172.20.0.1', true],
    ['not-an-ip', false],
    ['', false],
  ];
  for (const [ip, want] of cases) assert.equal(ipMatches(list, ip), want, ip);
  for (const bad of ['localhost', '300.1.1.1', 'abc/8']) assert.throws(() => ipList([bad]), /not an IP address/, bad);
  assert.equal(unmapV4('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(unmapV4('::ffff:zz'), '::ffff:zz');
});
