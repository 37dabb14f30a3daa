/** Printed windows with several --by views: jsonl keeps `counts` and adds `views`; the table prints a block per view, named after its fields. */
import { describe, expect, test } from "bun:test";
import { formatWindowJson, formatWindowText } from "../../../src/sink/format.ts";
import type { WindowSnapshot } from "../../../src/window/types.ts";

function windowOf(views: [string, [string, number][]][]): WindowSnapshot {
  const byView = new Map(views.map(([name, counts]) => [name, new Map(counts)]));
  const main = byView.get(views[0]?.[0] ?? "") ?? new Map<string, number>();
  return { startMs: 1_633_731_840_000, endMs: 1_633_731_870_000, total: [...main.values()].reduce((a, b) => a + b, 0), counts: main, views: byView, final: true };
}

describe("several views on stdout", () => {
  test("jsonl: counts is the main view's; views holds every view by its LIST, busiest first", () => {
    const w = windowOf([["type", [["log", 1], ["edit", 3]]], ["server_name,bot", [["a.org|false", 3], ["a.org|true", 1]]]]);
    expect(formatWindowJson(w)).toBe(
      '{"start":1633731840,"end":1633731870,"total":4,"counts":{"edit":3,"log":1},"views":{"type":{"edit":3,"log":1},"server_name,bot":{"a.org|false":3,"a.org|true":1}}}\n',
    );
  });

  test("jsonl: one view prints as ever, without views", () => {
    expect(formatWindowJson(windowOf([["server_name", [["a.org", 2]]]]))).toBe('{"start":1633731840,"end":1633731870,"total":2,"counts":{"a.org":2}}\n');
  });

  test("text: a block per view, saying what its members are", () => {
    const text = formatWindowText(windowOf([["server_name", [["a.org", 2]]], ["type", [["edit", 2]]]]));
    expect(text.split("\n").filter((line) => line.startsWith("2021"))).toEqual([
      "2021-10-08 22:24:00–22:24:30 UTC  2 changes on 1 wiki",
      "2021-10-08 22:24:00–22:24:30 UTC  2 changes by 1 type value",
    ]);
  });
});
