import { describe, expect, test } from "bun:test";
import { PeriodCounts } from "../../../src/run/period.ts";
import { createStats } from "../../../src/run/stats.ts";

describe("PeriodCounts", () => {
  test("null until a whole period has passed; then each counter's growth since the period began, the first from zero", () => {
    const stats = createStats();
    const period = new PeriodCounts(30_000, (s) => ({ events: s.events, future: s.skipped.future }), 1_000);
    stats.events = 40;
    stats.skipped.future = 3;
    expect(period.next(30_999, stats)).toBeNull();
    expect(period.next(31_000, stats)).toEqual({ events: 40, future: 3 });
    stats.events = 100;
    // The next period begins at the check that ended the last one.
    expect(period.next(60_999, stats)).toBeNull();
    expect(period.next(75_000, stats)).toEqual({ events: 60, future: 0 });
  });
});
