/** The wire form of a window (window/wire.ts): one key order, both flags always, counts busiest first, views only with several. */
import { describe, expect, test } from "bun:test";
import type { WindowSnapshot } from "../../../src/window/types.ts";
import { toWire } from "../../../src/window/wire.ts";

const START_MS = 1_633_731_840_000;

/** A 30 s window with these views (the first is the main one, `counts` is its very map), or one bare `counts` map. */
function windowOf(views: [string, [string, number][]][], options: { final?: boolean; bare?: boolean } = {}): WindowSnapshot {
  const byView = new Map(views.map(([name, counts]) => [name, new Map(counts)]));
  const counts = byView.get(views[0]?.[0] ?? "") ?? new Map<string, number>();
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return { startMs: START_MS, endMs: START_MS + 30_000, total, counts, ...(options.bare ? {} : { views: byView }), final: options.final ?? true };
}

describe("toWire", () => {
  test("keys in one order, every one there: start and end in Unix seconds, total, final, incomplete, counts", () => {
    const wire = toWire(windowOf([["server_name", [["a.org", 2]]]]), false);
    expect(JSON.stringify(wire)).toBe('{"start":1633731840,"end":1633731870,"total":2,"final":true,"incomplete":false,"counts":{"a.org":2}}');
  });

  test("counts busiest first, ties by name (code units), whatever order they were counted in", () => {
    const wire = toWire(windowOf([["server_name", [["b.org", 2], ["Z.org", 2], ["c.org", 9], ["a.org", 2], ["d.org", 1]]]]), false);
    expect(Object.entries(wire.counts)).toEqual([
      ["c.org", 9],
      ["Z.org", 2],
      ["a.org", 2],
      ["b.org", 2],
      ["d.org", 1],
    ]);
  });

  test("the flags as given: a window known to miss events, a window not final yet", () => {
    const w = windowOf([["server_name", [["a.org", 1]]]], { final: false });
    expect([toWire(w, true).incomplete, toWire(w, true).final]).toEqual([true, false]);
    expect([toWire(w, false).incomplete, toWire({ ...w, final: true }, false).final]).toEqual([false, true]);
  });

  test("a quiet window: total 0, counts {}; with several views each is {} too", () => {
    expect(toWire(windowOf([["server_name", []]]), false)).toEqual({ start: 1_633_731_840, end: 1_633_731_870, total: 0, final: true, incomplete: false, counts: {} });
    expect(toWire(windowOf([["server_name", []], ["type", []]]), false).views).toEqual({ server_name: {}, type: {} });
  });

  test("several views: `views` last, by LIST in the run's order (the main one first, equal to counts), each busiest first", () => {
    const wire = toWire(
      windowOf([
        ["type", [["log", 1], ["edit", 3]]],
        ["server_name,bot", [["a.org|true", 1], ["a.org|false", 3]]],
      ]),
      false,
    );
    expect(Object.keys(wire)).toEqual(["start", "end", "total", "final", "incomplete", "counts", "views"]);
    expect(Object.keys(wire.views ?? {})).toEqual(["type", "server_name,bot"]);
    expect(wire.views?.type).toEqual(wire.counts);
    expect(JSON.stringify(wire.views)).toBe('{"type":{"edit":3,"log":1},"server_name,bot":{"a.org|false":3,"a.org|true":1}}');
  });

  test("one view, named or bare: no `views` key at all", () => {
    expect(Object.keys(toWire(windowOf([["type", [["edit", 1]]]]), false))).not.toContain("views");
    expect(Object.keys(toWire(windowOf([["server_name", [["a.org", 1]]]], { bare: true }), false))).not.toContain("views");
  });

  test("members that read as array indices (namespace numbers) come first, ascending, as a JSON object keeps them; none is lost", () => {
    const wire = toWire(windowOf([["namespace", [["0", 1], ["14", 5], ["Talk", 9]]]]), false);
    expect(JSON.stringify(wire.counts)).toBe('{"0":1,"14":5,"Talk":9}');
  });

  test("a member named __proto__ is a count like any other, and survives JSON both ways", () => {
    const wire = toWire(windowOf([["user", [["__proto__", 2], ["Ann", 1]]]]), false);
    expect(JSON.stringify(wire.counts)).toBe('{"__proto__":2,"Ann":1}');
    expect(Object.entries(JSON.parse(JSON.stringify(wire)).counts)).toEqual([
      ["__proto__", 2],
      ["Ann", 1],
    ]);
  });

  test("the window's maps are left as they were", () => {
    const w = windowOf([["server_name", [["b.org", 1], ["a.org", 3]]]]);
    toWire(w, false);
    expect([...w.counts]).toEqual([
      ["b.org", 1],
      ["a.org", 3],
    ]);
  });
});
