/**
 * The time formats platforms ask for, from one epoch-milliseconds input (our clock and every
 * stored timestamp are epoch ms):
 * - unix seconds: Meta `event_time`, TikTok `event_time`;
 * - epoch ms: Reddit v3 `event_at`;
 * - RFC 3339: Reddit v2 `event_at`, Data Manager `eventTimestamp`;
 * - `yyyy-mm-dd hh:mm:ss+hh:mm`: Google Ads `conversion_date_time`, which needs an explicit
 *   offset and is read in the account's time zone when the offset is missing.
 */

export function unixSeconds(ms: number): number {
  assertFinite(ms);
  return Math.floor(ms / 1000);
}

export function epochMillis(ms: number): number {
  assertFinite(ms);
  return Math.floor(ms);
}

/** RFC 3339 in UTC with milliseconds, e.g. `2026-01-15T11:59:00.000Z`. */
export function rfc3339(ms: number): string {
  assertFinite(ms);
  return new Date(ms).toISOString();
}

const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})?$/i;

/**
 * Minutes east of UTC for a fixed-offset spelling (`Z`, `UTC`, `+05:30`, `-0800`, `+02`,
 * `UTC+01:00`), or null when `zone` is not one (then it may be an IANA name).
 */
export function parseFixedOffset(zone: string): number | null {
  const z = zone.trim();
  if (/^(?:Z|UTC|GMT)$/i.test(z)) return 0;
  const m = FIXED_OFFSET.exec(z);
  if (!m) return null;
  const [, sign, hh = '0', mm = '0'] = m;
  const minutes = Number(hh) * 60 + Number(mm);
  if (Number(mm) > 59 || minutes > 14 * 60) return null;
  return sign === '-' ? -minutes : minutes;
}

/** Anything spelled like an offset (a sign, optionally after UTC/GMT): judged by parseFixedOffset alone. */
const OFFSET_LIKE = /^(?:UTC|GMT)?[+-]/i;

/**
 * A fixed offset as above, or an IANA zone the runtime knows (`Europe/Paris`).
 * Offset spellings never reach Intl: since ECMA-402 2024 (V8 in Node 22+) `Intl.DateTimeFormat`
 * accepts any `±hh:mm` up to ±23:59 as a time zone, while real offsets stop at ±14:00
 * (https://tc39.es/ecma402/#sec-time-zone-offset-strings). Our bound must not depend on the runtime.
 */
export function isValidTimeZone(zone: string): boolean {
  if (parseFixedOffset(zone) !== null) return true;
  if (OFFSET_LIKE.test(zone.trim())) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Offset of `zone` at instant `ms`, in minutes east of UTC: derived from the wall-clock time
 * Intl gives for that instant, so daylight saving and odd offsets (+05:45, +10:30) come out right.
 * Throws RangeError for an unknown zone (check settings with isValidTimeZone first).
 */
export function offsetMinutes(ms: number, zone: string): number {
  assertFinite(ms);
  const fixed = parseFixedOffset(zone);
  if (fixed !== null) return fixed;
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  // Whole minutes: historic local-mean-time offsets with seconds (before ~1900) are rounded.
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
}

/**
 * Google Ads' `yyyy-mm-dd hh:mm:ss+hh:mm`: the wall-clock time in `zone` followed by that zone's
 * offset at that instant, e.g. `2026-07-01 08:00:00-04:00` for America/New_York. Seconds are
 * truncated, never rounded up (a conversion must not move after the upload time).
 */
export function googleDateTime(ms: number, zone: string): string {
  const offset = offsetMinutes(ms, zone);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const abs = Math.abs(offset);
  return `${date} ${time}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function assertFinite(ms: number): void {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite epoch-ms time: ${ms}`);
}
