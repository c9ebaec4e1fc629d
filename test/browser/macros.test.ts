import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PARTNER_MACROS } from '../../connectors/partner-postback/macros';
import { PARTNER_MACROS as CONSOLE_MACROS } from '../../ui/src/macros';

test("the console's macro picker offers exactly the gateway's partner-postback macros", () => {
  assert.deepEqual([...CONSOLE_MACROS], [...PARTNER_MACROS]);
});
