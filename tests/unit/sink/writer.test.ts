import { describe, expect, test } from "bun:test";
import { formatCheckpointFields } from "../../../src/sink/redis/checkpoint.ts";
import { createKeys, LAYOUT_VERSION, ROLLUP_LEVELS } from "../../../src/sink/redis/keys.ts";
import { WRITE_SCRIPT } from "../../../src/sink/redis/scripts.ts";
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
  now: () => NOW,
};
const FIXED = ["p:lock", "p:layout", "p:checkpoint", "p:epochs", "p:incomplete", "p:epoch_index"];
/** ARGV 1-11: db, lock, TTL, window_ms, layout, now, seq, retention, rollups, rollup retention, prefix. */
const HEAD = ["2", "host:123:abc", 30_000, 30_000, LAYOUT_VERSION, NOW, "41", 0, "", 0, "p:"];
/** ARGV 12 is the checkpoint's final_ms ("" without one). */
const NO_FINAL = "";

function window(startMs: number, counts: [string, number][]): WindowSnapshot {
  return { startMs, endMs: startMs + 30_000, total: counts.reduce((sum, [, n]) => sum + n, 0), counts: new Map(counts), final: true };
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
 * Reads ARGV the way WRITE_SCRIPT does (1-based, `at` from 14): returns what the script would
 * write, and fails when it would read past the end or leave arguments unread.
 */
function readLikeTheScript(keys: string[], args: (string | number)[]) {
  const ARGV = (i: number) => {
    if (i < 1 || i > args.length) throw new Error(`ARGV[${i}] is past the end (${args.length})`);
    return args[i - 1];
  };
  const windows: { key: string | undefined; start: unknown; pairs: unknown[] }[] = [];
  let at = 14;
  for (let w = 1; w <= Number(ARGV(13)); w++) {
    const members = Number(ARGV(at + 1));
    windows.push({ key: keys[6 + w - 1], start: ARGV(at), pairs: args.slice(at + 1, at + 1 + 2 * members) });
    at += 2 + 2 * members;
  }
  const incompleteCount = Number(ARGV(at));
  const incomplete = args.slice(at, at + incompleteCount);
  at += 1 + incompleteCount;
  const fieldCount = Number(ARGV(at));
  const fields = args.slice(at, at + 2 * fieldCount);
  const used = at + 2 * fieldCount;
  return { windows, incomplete, fields, used, total: args.length, keyCount: keys.length };
}

const units: { name: string; unit: WriteUnit; keys: string[]; args: (string | number)[] }[] = [
  {
    name: "one window with two wikis, no checkpoint",
    unit: { windows: [window(1_764_151_200_000, [["en.wikipedia.org", 3], ["www.wikidata.org", 1]])], incomplete: [], checkpoint: null },
    keys: [...FIXED, "p:1764151200"],
    args: [...HEAD, NO_FINAL, 1, 1_764_151_200, 2, 3, "en.wikipedia.org", 1, "www.wikidata.org", 0, 0],
  },
  {
    name: "a quiet window (0 members) listed beside a busy one",
    unit: { windows: [window(1_764_151_200_000, [["a", 5]]), window(1_764_151_230_000, [])], incomplete: [], checkpoint: null },
    keys: [...FIXED, "p:1764151200", "p:1764151230"],
    args: [...HEAD, NO_FINAL, 2, 1_764_151_200, 1, 5, "a", 1_764_151_230, 0, 0, 0],
  },
  {
    name: "incomplete window starts in seconds",
    unit: { windows: [], incomplete: [1_764_151_200_000, 1_764_151_230_000], checkpoint: null },
    keys: FIXED,
    args: [...HEAD, NO_FINAL, 0, 2, 1_764_151_200, 1_764_151_230, 0],
  },
  {
    name: "the checkpoint fields as field/value pairs after their count",
    unit: { windows: [window(1_764_151_260_000, [["b", 2]])], incomplete: [1_764_151_260_000], checkpoint },
    keys: [...FIXED, "p:1764151260"],
    args: [...HEAD, checkpoint.finalMs ?? NO_FINAL, 1, 1_764_151_260, 1, 2, "b", 1, 1_764_151_260, checkpointArgs.length / 2, ...checkpointArgs],
  },
  { name: "nothing at all", unit: { windows: [], incomplete: [], checkpoint: null }, keys: FIXED, args: [...HEAD, NO_FINAL, 0, 0, 0] },
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
      unit.windows.map((w) => ({ key: context.keys.window(w.startMs / 1000), start: w.startMs / 1000, pairs: [...w.counts].flatMap(([name, n]) => [n, name]) })),
    );
    expect(read.incomplete).toEqual(unit.incomplete.map((ms) => ms / 1000));
    expect(read.fields).toEqual(unit.checkpoint ? Object.entries(formatCheckpointFields(unit.checkpoint, NOW)).flat() : []);
  });

  test("the reader above matches the script: windows from ARGV[14], KEYS[6 + w], count in ARGV[13], the sequence in ARGV[7]", () => {
    expect(WRITE_SCRIPT.lua).toContain("local at = 14");
    expect(WRITE_SCRIPT.lua).toContain("for w = 1, tonumber(ARGV[13]) do");
    expect(WRITE_SCRIPT.lua).toContain("if seq ~= ARGV[7] then return {'stale', seq, redis.call('HGET', KEYS[3], 'updated_ms') or ''} end");
    expect(WRITE_SCRIPT.lua).toContain("local key = KEYS[6 + w]");
    expect(WRITE_SCRIPT.lua).toContain("unit.incomplete, unit.incomplete_from = tonumber(ARGV[at]), at + 1");
    expect(WRITE_SCRIPT.lua).toContain("unit.fields, unit.fields_from = tonumber(ARGV[at]), at + 1");
  });

  test("retention, rollups and the prefix ride in ARGV 8 to 12", () => {
    const { args } = encodeWrite({ windows: [], incomplete: [], checkpoint }, { ...context, retainMs: 86_400_000, rollups: ROLLUP_LEVELS, rollupRetainMs: 5 });
    expect(args.slice(7, 12)).toEqual([86_400_000, "1h:3600,1d:86400", 5, "p:", checkpoint.finalMs ?? NO_FINAL]);
  });

  test("the database may be empty (Cluster)", () => {
    expect(encodeWrite({ windows: [], incomplete: [], checkpoint: null }, { ...context, db: "" }).args[0]).toBe("");
  });

  test("--feed: the final windows' entries follow the checkpoint (count; start, total, view count, views) and the feed key comes last", () => {
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
