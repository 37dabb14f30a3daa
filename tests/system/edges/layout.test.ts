/**
 * One layout per prefix, in a namespace of its own (issue 8, items 3 and 8): windows of two
 * lengths never share a prefix, whatever flags are given, and the default prefix keeps
 * wikistream's keys apart from a user's own.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { runWikistream } from "../../support/process.ts";
import { dumpAllDatabases, startRedis } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
const server = shareFixtureServer({ events: stream.events });
const redis = shareRedis();

const replay = (extra: string[]) => ["--url", server.url, "--redis-url", redis.url, "--since", String(sinceMs), "--until", String(untilMs), ...extra];
const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

describe("one window length per prefix", () => {
  test("the first run records its window length in {prefix}layout", async () => {
    const result = await runWikistream(replay(["--prefix", "lay:"]));
    expect(result.code).toBe(0);
    expect(await redis.client.hgetall("lay:layout")).toMatchObject({ window_ms: "30000", layout: "2" });
  });

  test.each([
    [["--window", "60s"]],
    [["--window", "60s", "--no-resume"]],
    [["--window", "1m", "--no-resume", "--since", String(sinceMs + 3_600_000), "--until", String(untilMs + 3_600_000)]],
  ])("another --window on that prefix (%p) exits 2 naming the prefix, its window and another --prefix; every database untouched", async (extra) => {
    await runWikistream(replay(["--prefix", "lay2:"]));
    const before = await dumpAllDatabases(redis);
    const result = await runWikistream(replay(["--prefix", "lay2:", ...extra]));
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      "error: prefix 'lay2:' holds 30s windows, and --window is 1m: windows of two lengths cannot share a prefix. Run with --window 30s, or give these windows their own --prefix",
    ]);
    // The way out it names must not be one that mixes windows.
    expect(result.stderr).not.toContain("--no-resume");
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test("a prefix written by 0.1.0 (a checkpoint, no layout key) is judged by its checkpoint", async () => {
    await redis.client.hset("old:checkpoint", { id: "", since_ms: String(sinceMs), max_seen_ms: "", recent: "[]", final_ms: "", origin_ms: "", window_ms: "30000", lateness_ms: "60000" });
    await redis.client.zadd("old:epochs", 1633731780, "1633731780");
    const before = await dumpAllDatabases(redis);
    const refused = await runWikistream(replay(["--prefix", "old:", "--window", "10s", "--no-resume"]));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("prefix 'old:' holds 30s windows, and --window is 10s");
    expect(await dumpAllDatabases(redis)).toEqual(before);
    const accepted = await runWikistream(replay(["--prefix", "old:"]));
    expect(accepted.code).toBe(0);
    expect(await redis.client.hget("old:layout", "window_ms")).toBe("30000");
  });

  test("windows listed under a prefix with neither layout nor checkpoint are not guessed at: exit 2", async () => {
    await redis.client.zadd("orphan:epochs", 1633731780, "1633731780");
    const result = await runWikistream(replay(["--prefix", "orphan:"]));
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      "error: prefix 'orphan:' lists 1 window but has no layout or checkpoint key, so their length is unknown: give this run another --prefix",
    ]);
  });
});

describe("a namespace by default", () => {
  test("without --prefix every key starts with wikistream:, and nothing else in the database is touched", async () => {
    const own = await startRedis();
    try {
      await own.client.set("lock", "a user's own lock");
      await own.client.set("epochs", "a user's own key");
      const result = await runWikistream(["--url", server.url, "--redis-url", own.url, "--since", String(sinceMs), "--until", String(untilMs)]);
      expect(result.code).toBe(0);
      const keys = await own.client.keys("*");
      expect(keys.filter((key) => !key.startsWith("wikistream:")).sort()).toEqual(["epochs", "lock"]);
      expect(keys).toContain("wikistream:epoch_index");
      expect(await own.client.get("lock")).toBe("a user's own lock");
    } finally {
      await own.stop();
    }
  });

  test("--prefix '' keeps the tutorial's bare keys", async () => {
    const own = await startRedis();
    try {
      const result = await runWikistream(["--url", server.url, "--redis-url", own.url, "--prefix", "", "--since", String(sinceMs), "--until", String(untilMs)]);
      expect(result.code).toBe(0);
      const newest = await own.client.get("epoch_index");
      expect(Number(newest)).toBeGreaterThan(0);
      expect(await own.client.zcard(String(newest))).toBeGreaterThan(0);
    } finally {
      await own.stop();
    }
  });
});
