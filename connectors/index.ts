import { httpPostback } from './http-postback/index';

/** The one registration list: a new connector adds exactly one entry here (style §3.4.1). */
export const connectors = [httpPostback] as const;
