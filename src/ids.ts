import { randomUUID } from 'node:crypto';

/** 32 lowercase hex characters (a UUIDv4 without hyphens, like Everflow's transaction ids). */
export function newId(): string {
  return randomUUID().replaceAll('-', '');
}
