import { describe, expect, test } from "bun:test";
import { formatDuration } from "../../../src/lib/duration.ts";

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
