import { describe, expect, test } from "bun:test";
import { formatShare, formatTick } from "../../../src/serve/page/format.ts";

describe("the page's own formats", () => {
  test.each([
    [Date.UTC(2021, 9, 8, 22, 25) / 1000, "22:25"],
    [Date.UTC(2021, 9, 8, 22, 25, 30) / 1000, "22:25:30"],
    [0, "00:00"],
  ])("tick %p is %p (seconds only off the minute)", (seconds, text) => expect(formatTick(seconds)).toBe(text));

  test.each([
    [1, 8, "12.5%"],
    [0, 0, "0.0%"],
    [3, 3, "100.0%"],
  ])("%p of %p is %p", (count, total, text) => expect(formatShare(count, total)).toBe(text));
});
