import { httpPostback } from './http-postback/index';
import { tiktok } from './tiktok/index';
import { reddit } from './reddit/index';
import { webhook } from './webhook/index';
import { meta } from './meta/index';
import { sheets } from './sheets/index';
import { googleAds } from './google-ads/index';
import { googleDataManager } from './google-data-manager/index';
import { partnerPostback } from './partner-postback/index';

/** The one registration list: a new connector adds exactly one entry here. */
export const connectors = [httpPostback, tiktok, reddit, webhook, meta, googleAds, googleDataManager, partnerPostback, sheets] as const;
