export * from './delivery-error';
export * from './http-types';
export * from './define';
export * from './classify-http';
export * from './template';
export * from './redact';
export type { ConversionRecord, ConversionStatus } from '../conversions/conversion';
export type { ClickRecord, Platform } from '../clicks/click';
