import { expect, test } from "bun:test";
import { formatCount } from "../../../src/lib/plural.ts";

test.each([
  { count: 0, singular: "window", plural: undefined, text: "0 windows" },
  { count: 1, singular: "window", plural: undefined, text: "1 window" },
  { count: 2, singular: "window", plural: undefined, text: "2 windows" },
  { count: 1000, singular: "event", plural: undefined, text: "1000 events" },
  { count: 1, singular: "entry", plural: "entries", text: "1 entry" },
  { count: 3, singular: "entry", plural: "entries", text: "3 entries" },
  { count: -1, singular: "window", plural: undefined, text: "-1 windows" },
  { count: 1.5, singular: "second", plural: undefined, text: "1.5 seconds" },
])("formatCount($count, $singular) → '$text'", ({ count, singular, plural, text }) => {
  expect(plural === undefined ? formatCount(count, singular) : formatCount(count, singular, plural)).toBe(text);
});
