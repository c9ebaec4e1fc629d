export * from './delivery-error';
export * from './http-types';
export * from './define';
export * from './adjustment';
export * from './identifiers-sent';
export * from './classify-http';
export * from './template';
export * from './redact';
export type { ConversionRecord, ConversionStatus } from '../conversions/conversion';
export type { ClickRecord, Platform } from '../clicks/click';
export { createHttpClient } from './http-client';
export { createRegistry, type ConnectorRegistry } from './registry';
// The doctor's URL-template checks (src/doctor), so connector schemas refuse what the doctor flags.
export { urlTemplateIssues } from '../doctor/url-scan';
