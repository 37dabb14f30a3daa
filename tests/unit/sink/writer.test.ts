import { describe, expect, test } from "bun:test";
import { formatCheckpointFields } from "../../../src/sink/redis/checkpoint.ts";
import { createKeys, LAYOUT_VERSION, ROLLUP_LEVELS } from "../../../src/sink/redis/keys.ts";
import { WRITE_ARGS, WRITE_KEYS, WRITE_SCRIPT } from "../../../src/sink/redis/write-script.ts";
import { encodeWrite, type WriteUnit, type WriterContext } from "../../../src/sink/redis/writer.ts";
import type { Checkpoint, WindowSnapshot } from "../../../src/window/types.ts";

const NOW = 1_764_151_299_000;
const context: WriterContext = {
  keys: createKeys("p:"),
  prefix: "p:",
  db: "2",
  lockText: "host:123:abc",
  lockTtlMs: 30_000,
  windowMs: 30_000,
  seq: "41",
  retainMs: 0,
  rollups: [],
  rollupRetainMs: 0,
  feed: false,
  views: ["server_name"],
  now: () => NOW,
};
const FIXED = ["p:lock", "p:layout", "p:checkpoint", "p:epochs", "p:incomplete", "p:epoch_index"];
/** The named arguments (WRITE_ARGS): db, lock, TTL, window_ms, layout, now, seq, retention, rollup retention; then final_ms and the views. */
const HEAD = ["2", "host:123:abc", 30_000, 30_000, LAYOUT_VERSION, NOW, "41", 0, 0];
/** final_ms ("" without a checkpoint), then the views. */
const NO_FINAL = "";
const VIEWS = "server_name";
/** The rollup plan's count: none. */
const NO_ROLLUPS = 0;

function window(startMs: number, counts: [string, number][]): WindowSnapshot {
  return { startMs, endMs: startMs + 30_000, total: counts.reduce((sum, [, n]) => sum + n, 0), counts: new Map(counts), final: true };
}

function windowOf(startMs: number, views: [string, [string, number][]][]): WindowSnapshot {
  const byView = new Map(views.map(([name, counts]) => [name, new Map(counts)]));
  const main = views[0]?.[1] ?? [];
  return { startMs, endMs: startMs + 30_000, total: main.reduce((sum, [, n]) => sum + n, 0), counts: byView.get(views[0]?.[0] ?? "") ?? new Map(), views: byView, final: true };
}

const checkpoint: Checkpoint = {
  resume: { id: "id-9", sinceMs: null, maxSeenMs: 1_764_151_290_000, recent: ["r1"] },
  finalMs: 1_764_151_260_000,
  originMs: null,
  windowMs: 30_000,
  latenessMs: 60_000,
};
const checkpointArgs = Object.entries(formatCheckpointFields(checkpoint, NOW)).flat();

/**
 * Reads ARGV the way WRITE_SCRIPT's read_args does (1-based, the lists after WRITE_ARGS): returns
 * what the script would write, and fails when it would read past the end or leave arguments unread.
 */
function readLikeTheScript(keys: string[], args: (string | number)[]) {
  const ARGV = (i: number) => {
    if (i < 1 || i > args.length) throw new Error(`ARGV[${i}] is past the end (${args.length})`);
    return args[i - 1];
  };
  const keyAt = (i: number) => keys[Number(ARGV(i)) - 1];
  const views = String(ARGV(WRITE_ARGS.indexOf("views") + 1)).split(";").length;
  const lists = WRITE_ARGS.length + 1;
  const windows: { start: unknown; sets: { key: string | undefined; pairs: unknown[] }[] }[] = [];
  let at = lists + 1;
  for (let w = 1; w <= Number(ARGV(lists)); w++) {
    const window = { start: ARGV(at), sets: [] as { key: string | undefined; pairs: unknown[] }[] };
    at += 1;
    for (let v = 0; v < views; v++) {
      const members = Number(ARGV(at + 1));
      window.sets.push({ key: keyAt(at), pairs: args.slice(at + 1, at + 1 + 2 * members) });
      at += 2 + 2 * members;
    }
    windows.push(window);
  }
  const incompleteCount = Number(ARGV(at));
  const incomplete = args.slice(at, at + incompleteCount);
  at += 1 + incompleteCount;
  const fieldCount = Number(ARGV(at));
  const fields = args.slice(at, at + 2 * fieldCount);
  at += 1 + 2 * fieldCount;
  const sums: { dest: string | undefined; sources: (string | undefined)[] }[] = [];
  const levels = Number(ARGV(at));
  at += 1;
  for (let l = 0; l < levels; l++) {
    const periods = Number(ARGV(at + 7));
    at += 8;
    for (let p = 0; p < periods; p++) {
      at += 1;
      for (let v = 0; v < views; v++) {
        const count = Number(ARGV(at + 1));
        sums.push({ dest: keyAt(at), sources: Array.from({ length: count }, (_, i) => keyAt(at + 2 + i)) });
        at += 2 + count;
      }
    }
  }
  return { windows, incomplete, fields, sums, used: at - 1, total: args.length, keyCount: keys.length };
}

const units: { name: string; unit: WriteUnit; keys: string[]; args: (string | number)[] }[] = [
  {
    name: "one window with two wikis, no checkpoint",
    unit: { windows: [window(1_764_151_200_000, [["en.wikipedia.org", 3], ["www.wikidata.org", 1]])], incomplete: [], checkpoint: null },
    keys: [...FIXED, "p:1764151200"],
    args: [...HEAD, NO_FINAL, VIEWS, 1, 1_764_151_200, 7, 2, 3, "en.wikipedia.org", 1, "www.wikidata.org", 0, 0, NO_ROLLUPS],
  },
  {
    name: "a quiet window (0 members) listed beside a busy one",
    unit: { windows: [window(1_764_151_200_000, [["a", 5]]), window(1_764_151_230_000, [])], incomplete: [], checkpoint: null },
    keys: [...FIXED, "p:1764151200", "p:1764151230"],
    args: [...HEAD, NO_FINAL, VIEWS, 2, 1_764_151_200, 7, 1, 5, "a", 1_764_151_230, 8, 0, 0, 0, NO_ROLLUPS],
  },
  {
    name: "incomplete window starts in seconds",
    unit: { windows: [], incomplete: [1_764_151_200_000, 1_764_151_230_000], checkpoint: null },
    keys: FIXED,
    args: [...HEAD, NO_FINAL, VIEWS, 0, 2, 1_764_151_200, 1_764_151_230, 0, NO_ROLLUPS],
  },
  {
    name: "the checkpoint fields as field/value pairs after their count",
    unit: { windows: [window(1_764_151_260_000, [["b", 2]])], incomplete: [1_764_151_260_000], checkpoint },
    keys: [...FIXED, "p:1764151260"],
    args: [...HEAD, checkpoint.finalMs ?? NO_FINAL, VIEWS, 1, 1_764_151_260, 7, 1, 2, "b", 1, 1_764_151_260, checkpointArgs.length / 2, ...checkpointArgs, NO_ROLLUPS],
  },
  { name: "nothing at all", unit: { windows: [], incomplete: [], checkpoint: null }, keys: FIXED, args: [...HEAD, NO_FINAL, VIEWS, 0, 0, 0, NO_ROLLUPS] },
];

describe("encodeWrite", () => {
  test.each(units)("$name", ({ unit, keys, args }) => {
    expect(encodeWrite(unit, context)).toEqual({ keys, args });
  });

  test.each(units)("$name: read in WRITE_SCRIPT's order, every argument is used once", ({ unit }) => {
    const { keys, args } = encodeWrite(unit, context);
    const read = readLikeTheScript(keys, args);
    expect(read.used).toBe(read.total);
    expect(read.keyCount).toBe(6 + unit.windows.length);
    expect(read.windows).toEqual(
      unit.windows.map((w) => ({ start: w.startMs / 1000, sets: [{ key: context.keys.window(w.startMs / 1000), pairs: [...w.counts].flatMap(([name, n]) => [n, name]) }] })),
    );
    expect(read.incomplete).toEqual(unit.incomplete.map((ms) => ms / 1000));
    expect(read.fields).toEqual(unit.checkpoint ? Object.entries(formatCheckpointFields(unit.checkpoint, NOW)).flat() : []);
  });

  test("the script names its arguments: a generated prelude from WRITE_ARGS and WRITE_KEYS, and no other ARGV[n] or KEYS[n]", () => {
    const lua = WRITE_SCRIPT.lua;
    WRITE_ARGS.forEach((name, i) => expect(lua).toContain(`${name} = ARGV[${i + 1}]`));
    WRITE_KEYS.forEach((name, i) => expect(lua).toContain(`${name} = KEYS[${i + 1}]`));
    const body = lua.slice(lua.indexOf("\n", lua.indexOf("local K = {")));
    expect(body.match(/(ARGV|KEYS)\[\d/g)).toBeNull();
  });

  test("several views: each window carries every view's key and pairs; each view's rollups are rebuilt from its own windows, named by keys.ts", () => {
    const views = ["server_name", "type", "server_name,bot"];
    const w = windowOf(1_764_151_200_000, [["server_name", [["a", 2]]], ["type", [["edit", 1], ["log", 1]]], ["server_name,bot", [["a|false", 2]]]]);
    const { keys, args } = encodeWrite({ windows: [w], incomplete: [], checkpoint: null }, { ...context, views, rollups: ROLLUP_LEVELS.slice(0, 1) });
    const read = readLikeTheScript(keys, args);
    expect(read.used).toBe(read.total);
    expect(read.windows).toEqual([
      {
        start: 1_764_151_200,
        sets: [
          { key: "p:1764151200", pairs: [2, "a"] },
          { key: "p:by:type:1764151200", pairs: [1, "edit", 1, "log"] },
          { key: "p:by:server_name,bot:1764151200", pairs: [2, "a|false"] },
        ],
      },
    ]);
    expect(read.sums.map((sum) => [sum.dest, sum.sources.length, sum.sources[0]])).toEqual([
      ["p:1h:1764151200", 120, "p:1764151200"],
      ["p:by:type:1h:1764151200", 120, "p:by:type:1764151200"],
      ["p:by:server_name,bot:1h:1764151200", 120, "p:by:server_name,bot:1764151200"],
    ]);
    expect(args[WRITE_ARGS.indexOf("views")]).toBe("server_name;type;server_name,bot");
  });

  test("the database may be empty (Cluster)", () => {
    expect(encodeWrite({ windows: [], incomplete: [], checkpoint: null }, { ...context, db: "" }).args[0]).toBe("");
  });

  test("--feed: the final windows' entries follow the rollup plan (count; start, total, view count, views) and the feed key comes last", () => {
    const busy = window(1_764_151_200_000, [["b", 1], ["a", 5], ["c", 1]]);
    const open = { ...window(1_764_151_230_000, [["a", 2]]), final: false };
    const quiet = window(1_764_151_260_000, []);
    const unit: WriteUnit = { windows: [busy, open, quiet], incomplete: [], checkpoint: null };
    const off = encodeWrite(unit, context);
    const { keys, args } = encodeWrite(unit, { ...context, feed: true });
    expect(keys).toEqual([...off.keys, "p:feed"]);
    expect(args.slice(0, off.args.length)).toEqual(off.args);
    // Busiest first, then by name: as stdout's JSON lines; a quiet window is an entry too.
    expect(args.slice(off.args.length)).toEqual([2, 1_764_151_200, 7, 1, "counts", '{"a":5,"b":1,"c":1}', 1_764_151_260, 0, 1, "counts", "{}"]);
  });

  test("without --feed, no feed key and no feed arguments: today's write exactly", () => {
    const unit: WriteUnit = { windows: [window(1_764_151_200_000, [["a", 1]])], incomplete: [], checkpoint };
    const { keys, args } = encodeWrite(unit, context);
    expect(keys).not.toContain("p:feed");
    expect(readLikeTheScript(keys, args).used).toBe(args.length);
  });
});
