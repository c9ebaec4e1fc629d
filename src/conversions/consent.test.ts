import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeConsent } from './consent';

test("a conversion's consent: each signal from the postback, else from the click", () => {
  assert.deepEqual(mergeConsent({}, undefined), {});
  assert.deepEqual(mergeConsent({}, { adUserData: 'granted', limitedDataUse: true }), { adUserData: 'granted', limitedDataUse: true });
  assert.deepEqual(
    mergeConsent({ adUserData: 'denied', limitedDataUse: false }, { adUserData: 'granted', adPersonalization: 'granted', limitedDataUse: true }),
    { adUserData: 'denied', adPersonalization: 'granted', limitedDataUse: false },
    'the postback wins signal by signal; false is a signal, not an absence',
  );
});
