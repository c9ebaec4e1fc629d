import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/**
 * 32 lowercase hex characters in the UUIDv7 layout (RFC 9562 §5.7) without hyphens: 48 bits of
 * epoch milliseconds, then 74 random bits. Time-ordered ids land at the end of every B-tree they
 * key instead of on a random page: measured on this machine, a conversion + outbox write costs
 * 83 µs instead of 140 µs and writes 2–3× fewer WAL pages (bench/storage-probe.ts). The random
 * part keeps ids unguessable; the prefix reveals only when the id was made.
 */
export function newId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0').slice(-12);
  const rand = randomHex(10); // 80 bits, 74 of them kept
  const variant = ((parseInt(rand[3] as string, 16) & 0x3) | 0x8).toString(16);
  return `${time}7${rand.slice(0, 3)}${variant}${rand.slice(4, 19)}`;
}
