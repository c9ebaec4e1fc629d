import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNetworkGateway, type NetworkGateway } from './harness';

let g: NetworkGateway;
before(async () => {
  g = await startNetworkGateway();
});
after(() => g.close());

const noRawControl = (body: unknown) => assert.doesNotMatch(JSON.stringify(body).replace(/\\\\/g, ''), /\\u00[01][0-9a-f]|\\[rn]/i);

describe('control characters and lone surrogates in network entities (issue 7 item 11)', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['offer name with LF', '/v1/network/offers', { name: 'Summer\nSale' }, 'name'],
    ['offer name with NUL', '/v1/network/offers', { name: 'a\u0000b' }, 'name'],
    ['partner name with a lone surrogate', '/v1/network/partners', { name: 'x\ud800' }, 'name'],
    ['event name, nested', '/v1/network/offers', { name: 'ok', events: [{ name: 'dep\rosit' }] }, 'events.0.name'],
    [
      'postback URL with CR LF',
      '/v1/network/postbacks',
      { level: 'global', partner_id: 1, postback_url: 'https://p.example/pb?a=1\r\nX-Injected: 1' },
      'postback_url',
    ],
    ['click sub with ESC', '/v1/network/clicks', { offer_id: 1, partner_id: 1, sub1: 'a\u001bb' }, 'sub1'],
    ['a parameter name with LF', '/v1/network/clicks', { offer_id: 1, partner_id: 1, 'su\nb1': 'x' }, 'su\\u000ab1'],
  ];
  for (const [name, path, body, field] of cases) {
    it(`${name} → 422 naming ${field}`, async () => {
      const res = await g.api('POST', path, body);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'INVALID_CHARACTERS');
      assert.deepEqual(
        res.body.error.details.map((d: { field: string }) => d.field),
        [field],
      );
      noRawControl(res.body);
    });
  }

  it('multi-line fields keep their line breaks; other control characters are still refused', async () => {
    const partner = await g.api('POST', '/v1/network/partners', { name: 'P' });
    const html = {
      level: 'global',
      partner_id: partner.body.id,
      delivery_method: 'html',
      html_code: '<img\n\tsrc="https://p.example/px?tx={transaction_id}">\r\n',
    };
    assert.equal((await g.api('POST', '/v1/network/postbacks', html)).status, 201);
    const nul = await g.api('POST', '/v1/network/postbacks', { ...html, html_code: '<img>\u0000' });
    assert.equal(nul.status, 422);
    assert.equal(nul.body.error.details[0].field, 'html_code');
  });

  it('the advertiser S2S postback refuses them in its query', async () => {
    const res = await fetch(`${g.url}/?nid=1&transaction_id=${'a'.repeat(32)}&adv1=x%0Dy`);
    assert.equal(res.status, 422);
    const body = (await res.json()) as any;
    assert.equal(body.error.details[0].field, 'adv1');
  });
});
