import { describe, expect, test } from "bun:test";
import { SPARK_LEVELS, markRow, sparkline } from "../../../src/cli/sparkline.ts";

describe("sparkline", () => {
  test.each([
    { values: [], line: "" },
    { values: [0, 0, 0], line: "   " }, // nothing at all: no height anywhere
    { values: [5], line: "█" },
    { values: [1, 2, 3, 4, 5, 6, 7, 8], line: "▁▂▃▄▅▆▇█" },
    { values: [0, 8, 0], line: " █ " }, // zero is a space, not the lowest bar
    { values: [1, 1000], line: "▁█" }, // a small count still shows
    { values: [3, 3, 3], line: "███" },
    { values: [Number.NaN, -4, 2], line: "  █" }, // not a positive number: nothing
    { values: [50, 100], line: "▄█" },
    { values: [51, 100], line: "▅█" }, // heights round up: above half is above ▄
  ].map((row) => ({ ...row, shown: JSON.stringify(row.values) })))("$shown → '$line'", ({ values, line }) => {
    expect(sparkline(values)).toBe(line);
  });

  test("one character per value, each one of the eight levels or a space", () => {
    for (let n = 0; n < 200; n++) {
      const values = Array.from({ length: n % 37 }, (_, i) => ((i * 7919 + n * 104729) % 97) - 10);
      const line = sparkline(values);
      expect([...line]).toHaveLength(values.length);
      for (const ch of line) expect(SPARK_LEVELS.includes(ch) || ch === " ").toBe(true);
      const top = Math.max(0, ...values);
      if (top > 0) expect([...line][values.indexOf(top)]).toBe("█");
    }
  });
});

describe("markRow", () => {
  test.each([
    { flags: [], row: "" },
    { flags: [true, false, false, true], row: "^  ^" },
    { flags: [false, false], row: "  " },
  ])("$flags → '$row'", ({ flags, row }) => {
    expect(markRow(flags)).toBe(row);
  });
});
