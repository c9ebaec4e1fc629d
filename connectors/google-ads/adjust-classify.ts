import type { DeliveryItem, Outcome, PlatformRequest, PlatformResponse } from '../../src/connector-kit';
import { ADJUSTMENT_CODE_RULES } from './adjust-errors';
import { classifyGoogleAds } from './classify';

/** An adjustment upload's answer: read like an upload's (classify.ts), with the adjustment error table. */
export function classifyAdjustments(response: PlatformResponse, request: PlatformRequest, items: readonly DeliveryItem[]): Outcome {
  return classifyGoogleAds(response, request, items, ADJUSTMENT_CODE_RULES);
}
