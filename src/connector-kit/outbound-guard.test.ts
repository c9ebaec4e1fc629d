import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowEntryProblem, checkHost, classifyHostStatically, classifyTarget, createOutboundGuard } from './outbound-guard';

describe('classifyTarget: what every outbound request may connect to (issue 7 item 8)', () => {
  // [address, range it must be refused as]
  const refused: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.5', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.1.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['169.254.1.1', 'linkLocal'],
    ['192.0.2.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['2001:db8::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['100::1', 'discard'],
    // IPv4-mapped, -translated, -compatible and NAT64 forms are judged as the IPv4 they stand for.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::ffff:0:a00:1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    // Tunnels: refused whatever they carry (6to4, Teredo, local-use NAT64).
    ['64:ff9b:1::808:808', 'transition'],
    ['2002:808:808::1', 'transition'],
    ['2002:7f00:1::', 'transition'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'transition'],
    // Metadata, in every form.
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::a9fe:a9fe', 'metadata'],
    ['::169.254.169.254', 'metadata'],
    ['::ffff:0:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b:1::a9fe:a9fe', 'metadata'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2001:0:a9fe:a9fe::1', 'metadata'],
    ['2001:0:4136:e378:8000:63bf:5601:5601', 'metadata'],
    ['2852039166', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['0251.0376.0251.0376', 'metadata'],
    ['169.254.43518', 'metadata'],
    ['[fd00:ec2::254]', 'metadata'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['127.1', 'loopback'],
    ['not-an-ip', 'invalid'],
    ['', 'invalid'],
  ];
  for (const [ip, range] of refused) {
    it(`${ip || '(empty)'} is refused as ${range}`, () => {
      const c = classifyTarget(ip);
      assert.equal(c.allowed, false, c.reason);
      assert.equal(c.range, range, c.reason);
      assert.ok(c.reason.length > 10);
    });
  }
  const allowed = ['8.8.8.8', '93.184.215.14', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:0:8.8.8.8', '64:ff9b::808:808'];
  for (const ip of allowed) it(`${ip} is allowed`, () => assert.equal(classifyTarget(ip).allowed, true, classifyTarget(ip).reason));

  it('names the embedded address', () => {
    const c = classifyTarget('2002:a9fe:a9fe::');
    assert.deepEqual(c.embedded, ['169.254.169.254']);
    assert.match(c.reason, /6to4.*169\.254\.169\.254.*metadata/);
    assert.match(classifyTarget('10.0.0.1').reason, /private.*outbound\.allowPrivateTargets/);
  });

  it('opens listed CIDRs and addresses (mapped forms included) but never metadata', () => {
    const allow = ['127.0.0.0/8', '::1', '10.0.0.0/8', '169.254.0.0/16', 'fd00::/8', '2002::/16'];
    for (const ip of ['127.9.9.9', '::1', '::ffff:127.0.0.1', '10.2.3.4', '169.254.1.1', '2002:808:808::1']) {
      const c = classifyTarget(ip, allow);
      assert.equal(c.allowed, true, `${ip}: ${c.reason}`);
      assert.match(c.reason, /allowed by outbound\.allowPrivateTargets/);
    }
    for (const ip of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '2002:a9fe:a9fe::', '0xa9fea9fe']) {
      assert.equal(classifyTarget(ip, allow).allowed, false, ip);
      assert.equal(classifyTarget(ip, ['0.0.0.0/0', '::/0']).allowed, false, ip);
    }
    assert.equal(classifyTarget('192.168.1.1', allow).allowed, false);
    assert.equal(classifyTarget('10.0.0.1', ['::ffff:10.0.0.1']).allowed, true, 'a mapped entry opens its IPv4');
  });

  it('checks allow-list entries', () => {
    assert.equal(allowEntryProblem('127.0.0.0/8'), null);
    assert.equal(allowEntryProblem('::1'), null);
    assert.equal(allowEntryProblem('partner.internal'), null);
    assert.match(allowEntryProblem('10.0.0.0/33') ?? '', /CIDR/);
    assert.match(allowEntryProblem('not a host!') ?? '', /neither/);
  });
});

describe('host checks', () => {
  const resolver = async (host: string) => {
    const table: Record<string, string[]> = {
      'rebind.example': ['93.184.215.14', '10.0.0.5'],
      'ok.example': ['93.184.215.14'],
      'meta.example': ['169.254.169.254'],
    };
    const found = table[host];
    if (!found) throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    return found;
  };
  it('refuses a host when ANY address is private; unresolvable is its own verdict', async () => {
    assert.equal((await checkHost('ok.example', [], resolver)).allowed, true);
    const v = await checkHost('rebind.example', [], resolver);
    assert.equal(v.allowed, false);
    assert.equal(v.why, 'private');
    assert.match(v.reason, /rebind\.example resolves to 10\.0\.0\.5/);
    assert.equal((await checkHost('gone.example', [], resolver)).why, 'unresolvable');
  });
  it('an allow-listed name may be private, never metadata', async () => {
    assert.equal((await checkHost('rebind.example', ['rebind.example'], resolver)).allowed, true);
    assert.equal((await checkHost('meta.example', ['meta.example'], resolver)).allowed, false);
    const guard = createOutboundGuard(['meta.example', 'rebind.example'], resolver);
    assert.equal(guard.refuse('rebind.example', '10.0.0.5'), null);
    assert.match(guard.refuse('meta.example', '169.254.169.254') ?? '', /metadata/);
    assert.match(guard.refuse('other.example', '10.0.0.5') ?? '', /other\.example resolves to 10\.0\.0\.5/);
  });
  it('localhost and metadata names are judged without DNS', () => {
    assert.equal(classifyHostStatically('localhost')?.allowed, false);
    assert.equal(classifyHostStatically('LOCALHOST.')?.allowed, false);
    assert.equal(classifyHostStatically('api.localhost')?.allowed, false);
    assert.equal(classifyHostStatically('localhost', ['localhost'])?.allowed, true);
    assert.equal(classifyHostStatically('metadata.google.internal', ['metadata.google.internal'])?.allowed, false);
    assert.equal(classifyHostStatically('[::1]')?.allowed, false);
    assert.equal(classifyHostStatically('graph.facebook.com'), null);
  });
  it('checkUrl reads hosts as the WHATWG parser normalises them', async () => {
    const guard = createOutboundGuard([], resolver);
    assert.equal((await guard.checkUrl('http://2852039166/latest')).allowed, false);
    assert.equal((await guard.checkUrl('http://0xa9.0xfe.0xa9.0xfe/')).allowed, false);
    assert.equal((await guard.checkUrl('http://[::ffff:a9fe:a9fe]/')).allowed, false);
    assert.equal((await guard.checkUrl('https://ok.example/x')).allowed, true);
    assert.equal((await guard.checkUrl('::nope')).why, 'unparseable');
  });
});
