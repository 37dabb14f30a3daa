/** Printed windows with several --by views: jsonl keeps `counts` and adds `views`; the table prints a block per view, named after its fields. */
import { describe, expect, test } from "bun:test";
import { formatWindowText } from "../../../src/sink/format.ts";
import { createStdoutSink } from "../../../src/sink/stdout.ts";
import type { Checkpoint, WindowSnapshot } from "../../../src/window/types.ts";

const checkpoint: Checkpoint = { resume: { id: null, sinceMs: null, maxSeenMs: null, recent: [] }, finalMs: null, originMs: null, windowMs: 30_000, latenessMs: 60_000 };

function windowOf(views: [string, [string, number][]][], final = true): WindowSnapshot {
  const byView = new Map(views.map(([name, counts]) => [name, new Map(counts)]));
  const main = byView.get(views[0]?.[0] ?? "") ?? new Map<string, number>();
  return { startMs: 1_633_731_840_000, endMs: 1_633_731_870_000, total: [...main.values()].reduce((a, b) => a + b, 0), counts: main, views: byView, final };
}

/** What the jsonl sink prints for one batch (`incomplete`: its starts known to miss events), then for a stop with `open` left. */
async function printJsonl(windows: WindowSnapshot[], incomplete: number[] = [], open: WindowSnapshot[] = []): Promise<string> {
  let text = "";
  const sink = createStdoutSink({ format: "jsonl", color: false, write: (t) => (text += t) });
  sink.write({ windows, incomplete, checkpoint });
  sink.finish?.(open);
  await sink.flush();
  return text;
}

describe("several views on stdout", () => {
  test("jsonl: counts is the main view's; views holds every view by its LIST, busiest first; both flags always", async () => {
    const w = windowOf([["type", [["log", 1], ["edit", 3]]], ["server_name,bot", [["a.org|false", 3], ["a.org|true", 1]]]]);
    expect(await printJsonl([w])).toBe(
      '{"start":1633731840,"end":1633731870,"total":4,"final":true,"incomplete":false,"counts":{"edit":3,"log":1},"views":{"type":{"edit":3,"log":1},"server_name,bot":{"a.org|false":3,"a.org|true":1}}}\n',
    );
  });

  test("jsonl: one view prints without views; an incomplete window and a partial one left by a stop say so", async () => {
    const one = windowOf([["server_name", [["a.org", 2]]]]);
    const left = { ...windowOf([["server_name", [["b.org", 1]]]], false), startMs: 1_633_731_870_000, endMs: 1_633_731_900_000 };
    expect(await printJsonl([one], [one.startMs], [left])).toBe(
      '{"start":1633731840,"end":1633731870,"total":2,"final":true,"incomplete":true,"counts":{"a.org":2}}\n' +
        '{"start":1633731870,"end":1633731900,"total":1,"final":false,"incomplete":false,"counts":{"b.org":1}}\n',
    );
  });

  test("text: a block per view, saying what its members are", () => {
    const text = formatWindowText(windowOf([["server_name", [["a.org", 2]]], ["type", [["edit", 2]]]]));
    expect(text.split("\n").filter((line) => line.startsWith("2021"))).toEqual([
      "2021-10-08 22:24:00–22:24:30 UTC  2 changes on 1 wiki",
      "2021-10-08 22:24:00–22:24:30 UTC  2 changes by 1 type value",
    ]);
  });
});
