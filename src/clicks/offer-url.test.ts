import assert from 'node:assert/strict';
import { test } from 'node:test';
import { personalKindOf, personalNameIndex } from '../privacy/identifiers';
import { stripPersonalQuery } from '../privacy/personal-params';
import { compileOfferUrl, offerTargets, withParams } from './offer-url';

test('withParams keeps the offer URL byte for byte and adds or replaces ours', () => {
  const cases: Array<{ name: string; url: string; params: Array<[string, string]>; want: string }> = [
    {
      name: 'keeps %20 and order',
      url: 'https://o.example/lp?aff_id=7&name=a%20b',
      params: [['sub5', 'abc']],
      want: 'https://o.example/lp?aff_id=7&name=a%20b&sub5=abc',
    },
    {
      name: 'keeps + and odd encodings',
      url: 'https://o.example/?q=a+b&sig=AbC%2F%3D%3D',
      params: [['sub5', 'x']],
      want: 'https://o.example/?q=a+b&sig=AbC%2F%3D%3D&sub5=x',
    },
    { name: 'no query', url: 'https://o.example/lp', params: [['sub5', 'x']], want: 'https://o.example/lp?sub5=x' },
    { name: 'bare ?', url: 'https://o.example/lp?', params: [['sub5', 'x']], want: 'https://o.example/lp?sub5=x' },
    {
      name: 'replaces an existing sub5 wherever it is',
      url: 'https://o.example/lp?sub5=OLD&a=1',
      params: [['sub5', 'new']],
      want: 'https://o.example/lp?a=1&sub5=new',
    },
    { name: 'replaces an encoded name', url: 'https://o.example/lp?sub%35=OLD&a=1', params: [['sub5', 'new']], want: 'https://o.example/lp?a=1&sub5=new' },
    { name: 'replaces a valueless sub5', url: 'https://o.example/lp?sub5&a=1', params: [['sub5', 'new']], want: 'https://o.example/lp?a=1&sub5=new' },
    { name: 'does not touch a longer name', url: 'https://o.example/lp?sub50=keep', params: [['sub5', 'n']], want: 'https://o.example/lp?sub50=keep&sub5=n' },
    {
      name: 'fragment stays at the end',
      url: 'https://o.example/lp?a=1#frag?x=1&y',
      params: [['sub5', 'n']],
      want: 'https://o.example/lp?a=1&sub5=n#frag?x=1&y',
    },
    { name: 'fragment without query', url: 'https://o.example/lp#top', params: [['sub5', 'n']], want: 'https://o.example/lp?sub5=n#top' },
    { name: 'empty pairs dropped', url: 'https://o.example/lp?&a=1&&b=2&', params: [['sub5', 'n']], want: 'https://o.example/lp?a=1&b=2&sub5=n' },
    {
      name: 'our values are encoded',
      url: 'https://o.example/lp',
      params: [
        ['sub1', 'a b&c=d/é'],
        ['sub5', 'id'],
      ],
      want: 'https://o.example/lp?sub1=a%20b%26c%3Dd%2F%C3%A9&sub5=id',
    },
    {
      name: 'several ours, each replacing its own',
      url: 'https://o.example/lp?sub1=x&sub2=y&z=1',
      params: [
        ['sub1', 'A'],
        ['sub5', 'B'],
      ],
      want: 'https://o.example/lp?sub2=y&z=1&sub1=A&sub5=B',
    },
    {
      name: 'malformed percent in a kept pair survives',
      url: 'https://o.example/lp?bad=%E0%A4%A&x=1',
      params: [['sub5', 'n']],
      want: 'https://o.example/lp?bad=%E0%A4%A&x=1&sub5=n',
    },
    { name: 'no params at all', url: 'https://o.example/lp?a=1', params: [], want: 'https://o.example/lp?a=1' },
  ];
  for (const c of cases) assert.equal(withParams(c.url, c.params), c.want, c.name);
});

test('offerTargets: the target is withParams, the landing URL is stripPersonalQuery of the target', () => {
  const index = personalNameIndex({ names: { email: ['sub2'] } });
  const isPersonal = (name: string) => personalKindOf(index, name) !== undefined;
  const urls = [
    'https://o.example/lp?aff_id=7&email=a%40b.c&sub5=OLD',
    'https://o.example/lp?E-Mail=x&phone=1#section',
    'https://o.example/lp?a=1#email=x@y',
    'https://o.example/lp#top',
    'https://o.example/lp?&&em%61il=x&&b=2&',
    'https://o.example/lp?',
    'https://o.example/lp?sub1=x&bad=%E0%A4%A',
  ];
  const sets: Array<Array<[string, string]>> = [
    [['sub5', 'id']],
    [
      ['sub1', 'a b&c'],
      ['sub2', 'personal by config'],
      ['sub5', 'id'],
    ],
    [],
  ];
  for (const url of urls)
    for (const params of sets) {
      const { target, landing } = offerTargets(compileOfferUrl(url), params, isPersonal);
      assert.equal(target, withParams(url, params), `${url} target`);
      assert.equal(landing, stripPersonalQuery(target, index), `${url} landing`);
    }
  // The personal pairs are really gone from the landing URL and kept in the target.
  const { target, landing } = offerTargets(compileOfferUrl(urls[0] as string), [['sub5', 'id']], isPersonal);
  assert.equal(target, 'https://o.example/lp?aff_id=7&email=a%40b.c&sub5=id');
  assert.equal(landing, 'https://o.example/lp?aff_id=7&sub5=id');
});
