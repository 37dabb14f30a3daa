import { describe, expect, test } from "bun:test";
import { FEED } from "../../../src/sink/redis/feed-script.ts";
import { encodeFeedEntries, formatFeedId, formatFeedIdBefore, listFeedViews, parseFeedEntry } from "../../../src/sink/redis/feed.ts";
import { WRITE_SCRIPT } from "../../../src/sink/redis/write-script.ts";
import type { WindowSnapshot } from "../../../src/window/types.ts";

function window(startS: number, counts: [string, number][], final = true): WindowSnapshot {
  return { startMs: startS * 1000, endMs: startS * 1000 + 30_000, total: counts.reduce((sum, [, n]) => sum + n, 0), counts: new Map(counts), final };
}

describe("the feed's entries", () => {
  test("the main view is `counts`, busiest first then by name, as stdout's JSON lines print it", () => {
    expect(listFeedViews(window(60, [["b", 2], ["c", 9], ["a", 2]]))).toEqual([["counts", '{"c":9,"a":2,"b":2}']]);
    expect(listFeedViews(window(60, []))).toEqual([["counts", "{}"]]);
  });

  test("only final windows are entries, oldest first as given; a quiet one too", () => {
    const args = encodeFeedEntries([window(0, [["a", 1]]), window(30, [["a", 4]], false), window(60, [])]);
    expect(args).toEqual([2, 0, 1, 1, "counts", '{"a":1}', 60, 0, 1, "counts", "{}"]);
    expect(encodeFeedEntries([window(30, [["a", 1]], false)])).toEqual([0]);
  });

  test("IDs are the window start in ms; a reader from TIME starts just below it", () => {
    expect(formatFeedId(1_633_731_840_000)).toBe("1633731840000-0");
    expect(formatFeedIdBefore(1_633_731_840_000)).toBe("1633731839999-0");
    // A time inside a window starts with the next window: its own started before TIME.
    expect(formatFeedIdBefore(1_633_731_840_500)).toBe("1633731840499-0");
    expect(formatFeedIdBefore(0)).toBe("0-0");
  });

  test("an entry reads back as the final window it was", () => {
    const flat = ["start", "1633731840", "end", "1633731870", "total", "5", "incomplete", "1", "counts", '{"a":4,"b":1}', "by:type", "{}"];
    expect(parseFeedEntry("1633731840000-0", flat)).toEqual({
      startMs: 1_633_731_840_000,
      endMs: 1_633_731_870_000,
      total: 5,
      counts: new Map([["a", 4], ["b", 1]]),
      final: true,
      incomplete: true,
    });
  });

  test("with the prefix's views, an entry carries each by its LIST, the main one first", () => {
    const flat = ["start", "60", "end", "90", "total", "3", "incomplete", "0", "counts", '{"a":2,"b":1}', "by:type", '{"edit":3}', "by:server_name,bot", '{"a|true":3}'];
    const window = parseFeedEntry("60000-0", flat, ["server_name", "type", "server_name,bot"]);
    if (typeof window === "string") throw new Error(window);
    expect([...(window.views ?? new Map<string, Map<string, number>>())]).toEqual([
      ["server_name", new Map([["a", 2], ["b", 1]])],
      ["type", new Map([["edit", 3]])],
      ["server_name,bot", new Map([["a|true", 3]])],
    ]);
    expect(window.views?.get("server_name")).toBe(window.counts);
    expect(parseFeedEntry("60000-0", flat.slice(0, 10), ["server_name", "type", "server_name,bot"])).toContain("has no by:type field");
  });

  test.each([
    [null, "is gone (trimmed by --retain before it was read)"],
    [["start", "x"], "is not a window wikistream wrote"],
    [["start", "1", "end", "2", "total", "0", "counts", "[1]"], "is not a window wikistream wrote"],
    [["start", "1", "end", "2", "total", "0", "counts", "{"], "is not a window wikistream wrote"],
  ])("%p is said, not taken for a window", (flat, says) => {
    expect(parseFeedEntry("1-0", flat)).toContain(says);
  });

  test("the write script holds the feed's part, checked before its first write and written after the checkpoint", () => {
    const lua = WRITE_SCRIPT.lua;
    expect(lua).toContain(FEED);
    expect(lua.indexOf("local feed = plan_feed(unit)")).toBeLessThan(lua.indexOf("redis.call('SET', K.lock, A.lock, 'PX', A.lock_ttl_ms)"));
    expect(lua.lastIndexOf("write_feed(feed, window_s, retain)")).toBeGreaterThan(lua.indexOf("'seq', next_seq"));
    // A key named …feed is a stream to the type check.
    expect(lua).toContain("(string.sub(key, -4) == 'feed' and 'stream')");
  });
});
