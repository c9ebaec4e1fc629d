/** A clock tests move by hand. */
export function testClock(start = Date.UTC(2026, 10, 22, 12, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
      return t;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}
export type TestClock = ReturnType<typeof testClock>;
