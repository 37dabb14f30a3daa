import { describe, expect, test } from "bun:test";
import { formatAge, formatClock, formatInstant, formatSeconds, formatSpan, formatTimeOfDay, sortCounts } from "../../../src/lib/format.ts";

const AT = Date.UTC(2026, 10, 26, 10, 0, 0);

describe("formatInstant", () => {
  test.each([
    { ms: 0, text: "1970-01-01T00:00:00Z (0)" },
    { ms: AT, text: "2026-11-26T10:00:00Z (1795687200)" },
    { ms: 1_764_151_200_000, text: "2025-11-26T10:00:00Z (1764151200)" },
    { ms: 1500, text: "1970-01-01T00:00:01.500Z (1.5)" }, // milliseconds are kept where there are some
    { ms: Date.UTC(2026, 0, 1, 0, 0, 0, 1), text: "2026-01-01T00:00:00.001Z (1767225600.001)" },
    { ms: -1000, text: "1969-12-31T23:59:59Z (-1)" },
  ])("$ms → $text", ({ ms, text }) => {
    expect(formatInstant(ms)).toBe(text);
  });
});

describe("formatClock and formatTimeOfDay", () => {
  test("a moment in UTC, to the second; the time of day is its end", () => {
    expect(formatClock(AT + 30_500)).toBe("2026-11-26 10:00:30");
    expect(formatTimeOfDay(AT + 30_500)).toBe("10:00:30");
    expect(formatClock(AT).endsWith(formatTimeOfDay(AT))).toBe(true);
  });
});

describe("formatSpan", () => {
  test.each([
    { start: AT, end: AT + 30_000, text: "2026-11-26 10:00:00–10:00:30 UTC" },
    { start: AT, end: AT + 3_600_000, text: "2026-11-26 10:00:00–11:00:00 UTC" },
    // Across midnight, under a day: the end's time alone, as a window ending at 00:00:00 is read.
    { start: Date.UTC(2026, 10, 26, 23, 59, 30), end: Date.UTC(2026, 10, 27), text: "2026-11-26 23:59:30–00:00:00 UTC" },
    // A daily rollup: the end's date too.
    { start: Date.UTC(2026, 10, 26), end: Date.UTC(2026, 10, 27), text: "2026-11-26 00:00:00 – 2026-11-27 00:00:00 UTC" },
  ])("$text", ({ start, end, text }) => {
    expect(formatSpan(start, end)).toBe(text);
  });
});

describe("formatAge", () => {
  test.each([
    [0, "0.0s"],
    [1234, "1.2s"],
    [45_000, "45s"],
    [720_000, "12m"],
    [18_000_000, "5h"],
    [259_200_000, "3d"],
    // A replay of 2021 data lags by years, not by a four-digit count of days.
    [5.2 * 31_557_600_000, "5.2y"],
  ])("%p ms is %p", (ms, text) => expect(formatAge(ms)).toBe(text));

  test("each step starts where the one below would need a larger number", () => {
    expect([9_999, 10_000, 119_000, 120_000, 7_199_000, 7_200_000, 172_799_000, 172_800_000].map(formatAge)).toEqual(["10s", "10s", "119s", "2m", "120m", "2h", "48h", "2d"]);
    expect(formatAge(63_115_199_000)).toBe("730d");
    expect(formatAge(63_115_200_000)).toBe("2.0y");
  });
});

describe("formatSeconds", () => {
  test.each([
    [0, "0.0s"],
    [1234, "1.2s"],
    [30_000, "30.0s"],
  ])("%p ms is %p", (ms, text) => expect(formatSeconds(ms)).toBe(text));
});

describe("sortCounts", () => {
  test("busiest first, ties by name, whatever the order given", () => {
    const pairs: [string, number][] = [["b.org", 2], ["c.org", 5], ["a.org", 2], ["d.org", 1]];
    expect(sortCounts(pairs)).toEqual([["c.org", 5], ["a.org", 2], ["b.org", 2], ["d.org", 1]]);
    expect(sortCounts(new Map(pairs.reverse()))).toEqual(sortCounts(pairs));
  });
});
