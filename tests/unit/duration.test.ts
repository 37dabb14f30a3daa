import { describe, expect, test } from "bun:test";
import { formatDuration, formatInstant } from "../../src/lib/duration.ts";

describe("formatInstant", () => {
  test.each([
    { ms: 0, text: "1970-01-01T00:00:00Z (0)" },
    { ms: Date.UTC(2026, 10, 26, 10, 0, 0), text: "2026-11-26T10:00:00Z (1795687200)" },
    { ms: 1_764_151_200_000, text: "2025-11-26T10:00:00Z (1764151200)" },
    { ms: 1500, text: "1970-01-01T00:00:01.500Z (1.5)" }, // milliseconds are kept where there are some
    { ms: Date.UTC(2026, 0, 1, 0, 0, 0, 1), text: "2026-01-01T00:00:00.001Z (1767225600.001)" },
    { ms: -1000, text: "1969-12-31T23:59:59Z (-1)" },
  ])("$ms → $text", ({ ms, text }) => {
    expect(formatInstant(ms)).toBe(text);
  });
});

describe("formatDuration (the unit used in messages)", () => {
  test.each([
    { ms: 0, text: "0ms" },
    { ms: 500, text: "500ms" },
    { ms: 1000, text: "1s" },
    { ms: 1500, text: "1500ms" },
    { ms: 30_000, text: "30s" },
    { ms: 90_000, text: "90s" },
    { ms: 120_000, text: "2m" },
    { ms: 3_600_000, text: "1h" },
    { ms: 86_400_000, text: "1d" },
    { ms: 172_800_000, text: "2d" },
  ])("$ms → $text", ({ ms, text }) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
