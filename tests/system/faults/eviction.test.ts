/**
 * A Redis that evicts is named before it costs data (issue 16, item 5): at start and on every
 * reconnect the run reads `maxmemory_policy` from INFO; an `allkeys-*` policy is refused, a
 * `volatile-*` one unless --allow-eviction (then said once). `top` and `read` on a Redis at
 * maxmemory read their windows (no MULTI refused with EXECABORT). Real redis-servers, the
 * compiled binary.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked } from "../../support/process.ts";
import { dumpAllDatabases, dumpWindows, startRedis, waitForNewCheckpoint, type TestRedis } from "../../support/redis.ts";
import { shareFixtureServer } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
const server = shareFixtureServer({ events: stream.events });
const replay = (redisUrl: string, prefix: string, extra: string[] = []) => ["--url", server.url, "--redis-url", redisUrl, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs), ...extra];
const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

let started: TestRedis[] = [];
async function startOwnRedis(args: string[] = []): Promise<TestRedis> {
  const redis = await startRedis(args);
  started.push(redis);
  return redis;
}

afterEach(async () => {
  killStrayRuns();
  const list = started;
  started = [];
  await Promise.all(list.map((redis) => redis.stop()));
});

const ALLKEYS = (url: string, policy: string) =>
  `error: Redis at ${url} evicts any key when it is full (maxmemory-policy ${policy}): it could evict the checkpoint or a window and lose counts in silence; set maxmemory-policy noeviction on the server (CONFIG SET maxmemory-policy noeviction, and in redis.conf)`;
const VOLATILE = (url: string, policy: string) =>
  `error: Redis at ${url} evicts keys with a time to live when it is full (maxmemory-policy ${policy}), and window keys (--retain), rollups and the lock carry one: set maxmemory-policy noeviction on the server, or accept losing them with --allow-eviction`;

describe("the server's eviction policy, read at start", () => {
  test.each(["allkeys-lru", "allkeys-lfu", "allkeys-random"])("%s: exit 1, one line naming it and the fix, every database untouched", async (policy) => {
    const redis = await startOwnRedis(["--maxmemory-policy", policy]);
    await redis.client.set("user:key", "mine");
    const before = await dumpAllDatabases(redis);
    for (const extra of [[], ["--allow-eviction"]]) {
      const result = await runWikistream(replay(redis.url, "ev:", extra));
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([`${ALLKEYS(redis.url, policy)} (nothing was written)`]);
    }
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test.each(["volatile-lru", "volatile-ttl"])("%s: exit 1 naming --allow-eviction; with it (flag or env), one warning and the run is exact", async (policy) => {
    const redis = await startOwnRedis(["--maxmemory-policy", policy]);
    const refused = await runWikistream(replay(redis.url, "vol:"));
    expect(refused.code).toBe(1);
    expect(lines(refused.stderr)).toEqual([`${VOLATILE(redis.url, policy)} (nothing was written)`]);
    expect(await redis.client.keys("*")).toEqual([]);
    for (const [prefix, extra, env] of [
      ["flag:", ["--allow-eviction"], {}],
      ["env:", [], { WIKISTREAM_ALLOW_EVICTION: "1" }],
    ] as const) {
      const result = await runWikistream(replay(redis.url, prefix, [...extra]), { env });
      expect(result.code).toBe(0);
      expect(lines(result.stderr).filter((line) => line.includes("maxmemory-policy"))).toEqual([
        `warn: Redis at ${redis.url} evicts keys with a time to live when it is full (maxmemory-policy ${policy}): an evicted window reads as quiet; allowed by --allow-eviction`,
      ]);
      expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
    }
  });

  test("noeviction (the default) says nothing about eviction", async () => {
    const redis = await startOwnRedis();
    const result = await runWikistream(replay(redis.url, "noev:", ["--quiet"]));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  test("--allow-eviction without --redis-url is refused as doing nothing (exit 2)", async () => {
    const result = await runWikistream(["--url", server.url, "--allow-eviction"]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      "error: --allow-eviction does nothing without --redis-url (windows are printed, not stored): give --redis-url URL (or REDIS_URL), or leave --allow-eviction out (see wikistream --help)",
    ]);
  });
});

describe("read again on reconnect", () => {
  test.each([
    ["allkeys-lru", ALLKEYS],
    ["volatile-lru", VOLATILE],
  ] as const)("a Redis restarted with %s mid-run stops the run with the same line as at start", async (policy, said) => {
    const redis = await startOwnRedis();
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
    try {
      const run = spawnTracked(["--url", paced.url, "--redis-url", redis.url, "--prefix", "re:", "--since", String(sinceMs), "--until", String(untilMs)]);
      await waitForNewCheckpoint(redis, "re:", null);
      await redis.kill();
      await redis.start(["--maxmemory-policy", policy]);
      const result = await run.done;
      expect(result.code).toBe(1);
      expect(lines(result.stderr).filter((line) => line.startsWith("error: "))).toEqual([said(redis.url, policy)]);
    } finally {
      await paced.stop();
    }
  });
});

describe("readers on a Redis at maxmemory", () => {
  test("top and read print the windows (no EXECABORT) while every write is refused for memory", async () => {
    const redis = await startOwnRedis(["--maxmemory-policy", "noeviction"]);
    const written = await runWikistream(replay(redis.url, "full:"));
    expect(written.code).toBe(0);
    await redis.client.config("SET", "maxmemory", "1mb");
    const value = "x".repeat(8192);
    for (let i = 0; ; i++) {
      try {
        await redis.client.set(`filler:${i}`, value);
      } catch (error) {
        if (/^OOM/.test(error instanceof Error ? error.message : "")) break;
        throw error;
      }
    }
    const top = await runWikistream(["top", "--redis-url", redis.url, "--prefix", "full:", "--json"]);
    expect(top.stderr).toBe("");
    expect(top.code).toBe(0);
    const newest = Math.max(...reference.keys());
    expect((JSON.parse(top.stdout) as { windows: { start: number }[] }).windows.map((w) => w.start)).toContain(newest);
    const read = await runWikistream(["read", "--redis-url", redis.url, "--prefix", "full:", "--from", "0", "--json"]);
    expect(read.stderr).toBe("");
    expect(read.code).toBe(0);
    const totals = new Map<number, number>();
    for (const window of (JSON.parse(read.stdout) as { windows: { start: number; total: number }[] }).windows) {
      if (window.total > 0) totals.set(window.start, window.total);
    }
    const expected = new Map([...reference].map(([start, counts]) => [start, [...counts.values()].reduce((a, b) => a + b, 0)]));
    expect(totals).toEqual(expected);
  });
});
