import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { epochMillis, googleDateTime, isValidTimeZone, offsetMinutes, parseFixedOffset, rfc3339, unixSeconds } from './time';

const JAN = Date.UTC(2026, 0, 15, 12, 0, 0, 999); // winter in the north
const JUL = Date.UTC(2026, 6, 1, 12, 0, 0); // summer in the north

describe('unixSeconds / epochMillis / rfc3339', () => {
  const cases: Array<[number, number, number, string]> = [
    [JAN, 1768478400, JAN, '2026-01-15T12:00:00.999Z'],
    [0, 0, 0, '1970-01-01T00:00:00.000Z'],
    [1999.9, 1, 1999, '1970-01-01T00:00:01.999Z'],
  ];
  for (const [ms, s, e, iso] of cases) {
    it(`${ms}`, () => {
      assert.equal(unixSeconds(ms), s);
      assert.equal(epochMillis(ms), e);
      assert.equal(rfc3339(ms), iso);
    });
  }
  it('rejects non-finite input', () => {
    for (const fn of [unixSeconds, epochMillis, rfc3339]) assert.throws(() => fn(Number.NaN), RangeError);
  });
});

describe('parseFixedOffset / isValidTimeZone', () => {
  const cases: Array<[string, number | null, boolean]> = [
    ['Z', 0, true],
    ['UTC', 0, true],
    ['gmt', 0, true],
    ['+05:30', 330, true],
    ['-0800', -480, true],
    ['+02', 120, true],
    ['UTC+01:00', 60, true],
    ['+14:00', 840, true],
    ['+14:30', null, false],
    // Node 22+ Intl takes any ±hh:mm up to ±23:59 (and ±hhmm, ±hh) as a zone: still out of range.
    ['-23:59', null, false],
    ['+1430', null, false],
    ['+15', null, false],
    [' +14:30 ', null, false],
    ['UTC+14:30', null, false],
    ['Etc/GMT+12', null, true],
    ['+05:60', null, false],
    ['Europe/Paris', null, true],
    ['America/New_York', null, true],
    ['Mars/Olympus', null, false],
    ['', null, false],
  ];
  for (const [zone, offset, valid] of cases) {
    it(`${JSON.stringify(zone)} → ${offset} / ${valid}`, () => {
      assert.equal(parseFixedOffset(zone), offset);
      assert.equal(isValidTimeZone(zone), valid);
    });
  }
});

describe('googleDateTime', () => {
  const cases: Array<[number, string, string]> = [
    [JAN, 'UTC', '2026-01-15 12:00:00+00:00'],
    [JAN, 'America/New_York', '2026-01-15 07:00:00-05:00'],
    [JUL, 'America/New_York', '2026-07-01 08:00:00-04:00'],
    [JAN, 'Europe/Paris', '2026-01-15 13:00:00+01:00'],
    [JUL, 'Europe/Paris', '2026-07-01 14:00:00+02:00'],
    [JAN, 'Asia/Kolkata', '2026-01-15 17:30:00+05:30'],
    [JAN, 'Asia/Kathmandu', '2026-01-15 17:45:00+05:45'],
    [JAN, 'Australia/Lord_Howe', '2026-01-15 23:00:00+11:00'], // DST: +11:00 in January
    [JUL, 'Australia/Lord_Howe', '2026-07-01 22:30:00+10:30'],
    [JAN, 'Pacific/Kiritimati', '2026-01-16 02:00:00+14:00'], // crosses the date line
    [JAN, '-08:00', '2026-01-15 04:00:00-08:00'],
    [JAN, '+0530', '2026-01-15 17:30:00+05:30'],
    [Date.UTC(2026, 0, 1, 0, 30), 'America/Los_Angeles', '2025-12-31 16:30:00-08:00'], // previous year
    [Date.UTC(2026, 2, 8, 7, 0), 'America/New_York', '2026-03-08 03:00:00-04:00'], // first instant of DST
    [Date.UTC(2026, 2, 8, 6, 59, 59), 'America/New_York', '2026-03-08 01:59:59-05:00'], // last instant before
  ];
  for (const [ms, zone, want] of cases) it(`${new Date(ms).toISOString()} in ${zone} → ${want}`, () => assert.equal(googleDateTime(ms, zone), want));

  it('offsetMinutes agrees with the formatted offset', () => {
    assert.equal(offsetMinutes(JUL, 'America/New_York'), -240);
    assert.equal(offsetMinutes(JAN, 'Asia/Kathmandu'), 345);
  });

  it('throws RangeError for an unknown zone', () => {
    assert.throws(() => googleDateTime(JAN, 'Mars/Olympus'), RangeError);
  });
});
