import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConversionRecord } from '../conversions/conversion';
import { conversionRecord } from '../../test/helpers/conversion';
import { conversionToRow, rowToConversion, CONVERSION_COLUMNS } from './ledger-rows';

const base = conversionRecord('T-1', 1, { updatedAt: 2 });

/** The encoding before the empty values became constants: every JSON column must stay what it was. */
const encoded = (c: ConversionRecord) => [
  JSON.stringify(c.params),
  JSON.stringify(c.identifiers ?? {}),
  JSON.stringify(c.warnings ?? []),
  JSON.stringify(c.consent ?? {}),
];

test("conversionToRow's JSON columns: the same text for empty, absent and filled values, and they read back", () => {
  const names = CONVERSION_COLUMNS.split(', ');
  const at = (n: string) => names.indexOf(n);
  for (const c of [
    base,
    { ...base, identifiers: {}, warnings: [], consent: {} },
    { ...base, params: { sub1: 'x' }, identifiers: { email_sha256: 'ab' }, warnings: ['w'], consent: { adUserData: 'granted' as const } },
    { ...base, params: { sub1: undefined as unknown as string } },
  ]) {
    const row = conversionToRow(c);
    assert.equal(row.length, names.length);
    assert.deepEqual([row[at('params')], row[at('identifiers')], row[at('warnings')], row[at('consent')]], encoded(c), JSON.stringify(c));
    const back = rowToConversion(Object.fromEntries(names.map((n, i) => [n, row[i]])));
    assert.deepEqual(back.warnings, c.warnings ?? []);
    assert.deepEqual(back.consent, c.consent ?? {});
  }
});
