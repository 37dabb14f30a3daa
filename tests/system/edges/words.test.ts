/**
 * Errors in our words (issue 17, item 6): a missing permission (NOPERM) is named as one, with
 * the command or key it lacks, never as a bad password; no SELECT is sent for database 0 (a
 * user without SELECT works there) and a refused SELECT for another database is one clear line;
 * ioredis's sentences (the ready check, maxRetriesPerRequest) and Bun's ("Unable to connect")
 * never reach stderr: each is said once, in our words. Every case runs the compiled binary
 * against a real redis-server with ACL users.
 */
import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, terminate, waitFor } from "../../support/process.ts";
import { dumpWindows, findFreePort, startRedis, waitForNewCheckpoint } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
const server = shareFixtureServer({ events: stream.events });
const redis = shareRedis(["--databases", "4"]);

/** Sentences of ioredis and Bun that must never reach a user. */
const FOREIGN = /Skipping the ready check|enableReadyCheck|max retries per request|maxRetriesPerRequest|Unable to connect|Is the computer able|enableOfflineQueue|Please report|verbose: true|ioredis/i;

afterEach(killStrayRuns);

/** A URL of `redis` logged in as `user` (password "pw"). */
const as = (user: string, db = "") => `${redis.url.replace("redis://", `redis://${user}:pw@`)}${db}`;
const shown = (user: string, db = "") => `${redis.url.replace("redis://", `redis://${user}:***@`)}${db}`;
const replay = (url: string, prefix: string, extra: string[] = []) => ["--url", server.url, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs), ...extra, "--redis-url", url];
const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

beforeAll(async () => {
  const acl = (...rules: string[]) => redis.client.call("ACL", "SETUSER", ...rules);
  await acl("nokeys", "on", ">pw", "~other:*", "+@all");
  await acl("nosel", "on", ">pw", "~*", "+@all", "-select");
  await acl("noinfo", "on", ">pw", "~*", "+@all", "-info");
  await acl("noscript", "on", ">pw", "~*", "+@all", "-evalsha", "-eval", "-script");
  // Windows for the readers, written by the default user.
  const seeded = await runWikistream(replay(redis.url, "acl:"));
  expect(seeded.code).toBe(0);
});

describe("a missing permission is named as one", () => {
  test.each([
    ["the counting run", () => replay(as("nokeys"), "acl:")],
    ["top", () => ["top", "--redis-url", as("nokeys"), "--prefix", "acl:"]],
    ["read", () => ["read", "--redis-url", as("nokeys"), "--prefix", "acl:", "--from", "0"]],
  ])("a user without access to the prefix's keys, %s: exit 1, one line naming the user, a key and the grant", async (_, args) => {
    const result = await runWikistream(args());
    expect(result.code).toBe(1);
    const all = lines(result.stderr);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatch(new RegExp(`^error: Redis at ${shown("nokeys").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: user 'nokeys' has no permission for key 'acl:[\\w]+' \\(NOPERM\\): grant the prefix's keys \\(ACL SETUSER nokeys '~acl:\\*'\\), or use a --prefix this user may use$`));
    expect(result.stderr).not.toMatch(/credentials|password|unexpected failure|EXECABORT/);
  });

  test("a user that may not run scripts: exit 1, one line naming the command and the grant", async () => {
    const result = await runWikistream(replay(as("noscript"), "noscript:"));
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([`error: Redis at ${shown("noscript")}: user 'noscript' may not run EVAL (NOPERM), and wikistream's scripts need EVAL and EVALSHA: grant both (ACL SETUSER noscript +eval +evalsha), or use a user that may`]);
    expect(await redis.client.keys("noscript:*")).toEqual([]);
  });

  test("a user without SELECT on database 0: no SELECT is sent, the run is exact and top and read work", async () => {
    for (const url of [as("nosel"), as("nosel", "/0")]) {
      const result = await runWikistream(replay(url, "nosel:", ["--quiet"]));
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(await dumpWindows(redis, "nosel:")).toEqual(formatReferenceAsRedis(reference, "nosel:"));
      const top = await runWikistream(["top", "--redis-url", url, "--prefix", "nosel:", "--json"]);
      expect(top.stderr).toBe("");
      expect(top.code).toBe(0);
      const read = await runWikistream(["read", "--redis-url", url, "--prefix", "nosel:", "--from", "0", "--csv"]);
      expect(read.stderr).toBe("");
      expect(read.code).toBe(0);
      expect(lines(read.stdout).length).toBeGreaterThan(reference.size);
    }
  });

  test.each([
    ["the counting run", () => replay(as("nosel", "/2"), "sel:")],
    ["top", () => ["top", "--redis-url", as("nosel", "/2"), "--prefix", "sel:"]],
  ])("a user without SELECT on database 2, %s: exit 1, one line saying SELECT is what it lacks", async (_, args) => {
    const result = await runWikistream(args());
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `error: Redis at ${shown("nosel", "/2")}: user 'nosel' may not run SELECT, which database 2 needs: grant it (ACL SETUSER nosel +select), or use database 0`,
    ]);
  });
});

describe("ioredis's and Bun's sentences are said once, in our words", () => {
  const INFO_LINE = (who: string) =>
    `warn: Redis at ${who}: user 'noinfo' may not run INFO, so wikistream cannot see whether Redis is loading or evicts keys (maxmemory-policy): grant it (ACL SETUSER noinfo +info)`;

  test("a user without INFO: the run is exact, and the ready check that ioredis skips is one warning of ours", async () => {
    const result = await runWikistream(replay(as("noinfo"), "noinfo:"));
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(FOREIGN);
    expect(lines(result.stderr).filter((line) => line.includes("INFO"))).toEqual([INFO_LINE(shown("noinfo"))]);
    expect(await dumpWindows(redis, "noinfo:")).toEqual(formatReferenceAsRedis(reference, "noinfo:"));
    const top = await runWikistream(["top", "--redis-url", as("noinfo"), "--prefix", "noinfo:", "--json"]);
    expect(top.code).toBe(0);
    expect(top.stderr).toBe(`${INFO_LINE(shown("noinfo"))}\n`);
  });

  test("a Redis that dies with a command in flight (top --watch and the counting run): 'waiting for Redis' in our words, no ioredis sentence", async () => {
    const own = await startRedis();
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
    try {
      const run = spawnTracked(["--url", paced.url, "--redis-url", own.url, "--prefix", "away:", "--since", String(sinceMs), "--until", String(untilMs)]);
      await waitForNewCheckpoint(own, "away:", null);
      const watch = spawnTracked(["top", "--watch", "--redis-url", own.url, "--prefix", "away:", "--json"]);
      // Once top has read the windows, Redis holds every command (CLIENT PAUSE) and dies with
      // those of both in flight (top asks every second, the run writes every second or so).
      await waitFor(
        async () => {
          const clients = String(await own.client.call("CLIENT", "LIST"));
          return clients.includes("cmd=exec") && /cmd=eval(sha)? /.test(clients);
        },
        10_000,
        "top reading and the run writing",
      );
      await own.client.call("CLIENT", "PAUSE", "10000", "ALL");
      await Bun.sleep(2500);
      await own.kill();
      await waitFor(() => watch.stderr().includes("waiting for Redis") && /cannot write to Redis|waiting for Redis/.test(run.stderr()), 20_000, "both waiting lines").catch((error: unknown) => {
        throw new Error(`${String(error)}; top said: ${watch.stderr()}; the run said: ${run.stderr()}`);
      });
      await own.start();
      const result = await run.done;
      expect(result.code).toBe(0);
      const watched = await terminate(watch);
      expect(watched.code).toBe(0);
      for (const stderr of [result.stderr, watched.stderr]) expect(stderr).not.toMatch(FOREIGN);
      expect(lines(watched.stderr).filter((line) => line.includes("waiting for Redis"))).toHaveLength(1);
    } finally {
      await paced.stop();
      await own.stop();
    }
  });

  test("a stream URL where nobody listens: 'connection refused', not Bun's sentence", async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}/v2/stream/recentchange`;
    const run = spawnTracked(["--url", url, "--give-up-after", "3s"]);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(FOREIGN);
    expect(result.stderr).toContain(`cannot reach ${url} (connection refused)`);
    for (const line of lines(result.stderr).filter((l) => l.includes("cannot reach"))) expect(line).toContain("(connection refused)");
  });

  test("healthcheck where nobody listens: one line saying connection refused, not Bun's sentence", async () => {
    const port = await findFreePort();
    const result = await runWikistream(["healthcheck", "--listen", `127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(FOREIGN);
    expect(lines(result.stderr)).toEqual([`error: http://127.0.0.1:${port}/healthz did not answer (connection refused): is wikistream running with --listen there?`]);
  });
});
