/**
 * Redis faults: Redis is not up yet, dies and comes back, forgets the scripts (SCRIPT FLUSH),
 * refuses the password, is a read-only replica, or is out of memory. Every case runs the compiled binary against real redis-servers
 * (each on its own port) and the fixture SSE server; what ends up in Redis must equal the
 * independent count exactly, and what cannot be fixed by retrying must fail fast with one line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { listExpectedFeed, readFeed } from "../../support/feed.ts";
import { runWikistream, spawnWikistream, waitFor, type WikistreamProcess } from "../../support/process.ts";
import { dumpWindows, findFreePort, readInfoNumber, startRedis, waitForNewCheckpoint, type TestRedis } from "../../support/redis.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
// About 7,500 events are read before the run can stop: some 3 s at this rate.
const PACE = 2500;

/** Serves the stream at full speed. */
let fast: FixtureServer;
/** Redis servers started by the running test, stopped after it. */
let started: TestRedis[] = [];

beforeAll(() => {
  fast = startFixtureServer({ events: stream.events });
});

afterAll(async () => {
  await fast.stop();
});

/** Runs started by the current test; any still alive when it ends (a failed assertion) are killed. */
const running: WikistreamProcess[] = [];

function spawnRun(args: string[], options: { env?: Record<string, string> } = {}): WikistreamProcess {
  const run = spawnWikistream(args, options);
  running.push(run);
  return run;
}

afterEach(async () => {
  for (const run of running.splice(0)) if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill("SIGKILL");
  await stopOwnRedis();
});

/** Starts a redis-server that is stopped when the test ends (see afterEach). */
async function startOwnRedis(extraArgs: string[] = [], options: { port?: number } = {}): Promise<TestRedis> {
  const redis = await startRedis(extraArgs, options);
  started.push(redis);
  return redis;
}

async function stopOwnRedis(): Promise<void> {
  const list = started;
  started = [];
  await Promise.all(list.map((redis) => redis.stop()));
}

/** Flags of a replay of the corpus into `redisUrl` under `prefix`. */
function replayArgs(url: string, redisUrl: string, prefix: string, extra: string[] = []): string[] {
  return ["--url", url, "--redis-url", redisUrl, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs), ...extra];
}

/** Runs `body` with a fixture server that sends the stream at `ratePerSec`, stopping it afterwards. */
async function withPacedServer<T>(ratePerSec: number, body: (server: FixtureServer) => Promise<T>): Promise<T> {
  const server = startFixtureServer({ events: stream.events, ratePerSec, chunkEvents: 25 });
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** Waits until `run` has printed `text` on stderr; fails at once, with what it printed, if it exits first. */
async function waitForStderr(run: WikistreamProcess, text: string): Promise<void> {
  await waitFor(
    () => {
      if (run.stderr().includes(text)) return true;
      if (run.proc.exitCode !== null || run.proc.signalCode !== null) {
        throw new Error(`wikistream exited (code ${run.proc.exitCode}) without printing '${text}':\n${run.stderr()}`);
      }
      return false;
    },
    10_000,
    `'${text}' on stderr`,
  );
}

function linesOf(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

/** Resident memory of a process in kB, from /proc; NaN once it is gone. */
function readRssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** Fills Redis with filler keys (not under any prefix the tests use) until it answers OOM. */
async function fillUntilOom(redis: TestRedis): Promise<number> {
  const value = "x".repeat(8192);
  for (let i = 0; i < 10_000; i++) {
    try {
      await redis.client.set(`filler:${i}`, value);
    } catch (error) {
      if (/^OOM/.test(error instanceof Error ? error.message : "")) return i;
      throw error;
    }
  }
  throw new Error("Redis never ran out of memory");
}

describe("Redis faults on a replay of the 2021 capture, cycled twice", () => {
  test("the reference has real content (sanity of the test itself)", () => {
    expect(reference.size).toBeGreaterThan(10);
  });

  test("Redis not up at start: it says 'waiting for Redis' once, runs when Redis comes, and the content is exact", async () => {
    const port = await findFreePort();
    const prefix = "late:";
    const run = spawnRun(replayArgs(fast.url, `redis://127.0.0.1:${port}`, prefix));
    await waitForStderr(run, "waiting for Redis");
    // Let it retry a few times before Redis appears: the message must still be there once.
    await Bun.sleep(1500);
    expect(run.proc.exitCode).toBeNull();
    const redis = await startOwnRedis([], { port });
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(count(result.stderr, "waiting for Redis")).toBe(1);
    expect(result.stderr).toContain(`Redis at redis://127.0.0.1:${port} is up`);
    expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
  });

  test("SIGTERM while waiting for Redis at start stops it with exit 0 at once, not only after a second signal", async () => {
    const port = await findFreePort();
    const run = spawnRun(replayArgs(fast.url, `redis://127.0.0.1:${port}`, "never:"));
    await waitForStderr(run, "waiting for Redis");
    run.proc.kill("SIGTERM");
    const timer = setTimeout(() => run.proc.kill("SIGKILL"), 15_000);
    const result = await run.done;
    clearTimeout(timer);
    expect(run.proc.signalCode).toBeNull();
    expect(result.code).toBe(0);
    expect(linesOf(result.stderr)).toContain("SIGTERM: stopping (writing what is ready)…");
    expect(result.stdout).toBe("");
  });

  test("Redis SIGKILLed mid-run and restarted with AOF: no window is lost, the backlog drains, memory stays flat, content is exact", async () => {
    const redis = await startOwnRedis(["--appendonly", "yes", "--appendfsync", "always"]);
    const prefix = "aof:";
    const { result, rss } = await withPacedServer(PACE, async (paced) => {
      const run = spawnRun(replayArgs(paced.url, redis.url, prefix));
      await waitForNewCheckpoint(redis, prefix, null);
      const before = readRssKb(run.proc.pid);
      await redis.kill("SIGKILL");
      // A write failed and its windows wait in memory while Redis is away.
      await waitForStderr(run, "windows wait in memory");
      let peak = before;
      for (let i = 0; i < 10; i++) {
        await Bun.sleep(100);
        peak = Math.max(peak, readRssKb(run.proc.pid));
      }
      expect(run.proc.exitCode).toBeNull();
      await redis.start();
      const done = await run.done;
      // Reading went on while Redis was away: the SSE connection was never dropped.
      expect(paced.connections).toHaveLength(1);
      return { result: done, rss: { before, peak } };
    });
    if (process.env.WIKISTREAM_TEST_DEBUG) console.error({ rssKb: rss });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Redis writes resumed");
    expect(result.stderr).not.toContain("unwritten");
    // Windows merge in memory while Redis is away: a second of outage costs next to nothing.
    expect(rss.peak - rss.before).toBeLessThan(64 * 1024);
    expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
    expect(await redis.client.exists(`${prefix}lock`)).toBe(0);
  });

  test("SCRIPT FLUSH mid-run, three times: each next script is sent again, no window is lost or doubled, the feed has each window once", async () => {
    const redis = await startOwnRedis();
    const prefix = "flush:";
    // A slower pace than the other tests': about 10 s of writes, for three flushes with writes between.
    const result = await withPacedServer(PACE / 3, async (paced) => {
      const run = spawnRun(replayArgs(paced.url, redis.url, prefix, ["--feed"]));
      let seen = await waitForNewCheckpoint(redis, prefix, null);
      for (let flush = 1; flush <= 3; flush++) {
        await redis.client.script("FLUSH");
        // The server forgot every script: the next one the run sends by SHA-1 is answered NOSCRIPT.
        await waitFor(async () => (await readInfoNumber(redis, "errorstat_NOSCRIPT", "errorstats")) >= flush, 10_000, `NOSCRIPT after flush ${flush}`);
        seen = await waitForNewCheckpoint(redis, prefix, seen);
      }
      return await run.done;
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/NOSCRIPT|error:|unwritten|starting again/);
    const windows = await dumpWindows(redis, prefix);
    delete windows[`${prefix}feed`];
    expect(windows).toEqual(formatReferenceAsRedis(reference, prefix));
    const feed = await readFeed(redis.client, `${prefix}feed`);
    expect(feed).toEqual(await listExpectedFeed(redis.client, prefix, 30_000, reference.incomplete, feed));
  });

  test.each([
    ["a password alone", (port: number) => `redis://:wrong-Pa55word-1@127.0.0.1:${port}`, "wrong-Pa55word-1"],
    ["a user and password", (port: number) => `redis://default:wrong-Pa55word-2@127.0.0.1:${port}`, "wrong-Pa55word-2"],
  ] as const)("a wrong password (%s) exits 1 at once with one line that never shows the password, without reconnecting", async (_, urlOf, wrong) => {
    const secret = "right-Pa55word-0";
    const redis = await startOwnRedis(["--requirepass", secret]);
    const connectionsBefore = await readInfoNumber(redis, "total_connections_received", "stats");
    const result = await runWikistream(replayArgs(fast.url, urlOf(redis.port), "auth:"), { timeoutMs: 30_000 });
    const connections = (await readInfoNumber(redis, "total_connections_received", "stats")) - connectionsBefore;
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("refused the credentials");
    expect(result.stderr).not.toContain(wrong);
    expect(result.stderr).not.toContain(secret);
    // One connection, not a reconnect loop (the test's own INFO goes over an older connection).
    expect(connections).toBeLessThanOrEqual(2);
    expect(await redis.client.keys("auth:*")).toEqual([]);
  });

  test("a read-only replica: one clear line pointing at the primary, exit 1, nothing written", async () => {
    const primary = await startOwnRedis();
    const replica = await startOwnRedis(["--replicaof", "127.0.0.1", String(primary.port)]);
    const result = await runWikistream(replayArgs(fast.url, replica.url, "ro:"), { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`error: Redis at ${replica.url} is a read-only replica: point --redis-url at the primary`);
    expect(await primary.client.keys("ro:*")).toEqual([]);
    expect(await replica.client.keys("ro:*")).toEqual([]);
  });

  test("maxmemory reached before the start: the OOM is reported once, it waits instead of exiting, and completes exactly once memory is freed", async () => {
    const redis = await startOwnRedis(["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"]);
    const prefix = "oomstart:";
    expect(await fillUntilOom(redis)).toBeGreaterThan(0);
    const run = spawnRun(replayArgs(fast.url, redis.url, prefix));
    await waitForStderr(run, "out of memory");
    // It keeps trying rather than giving up.
    const oomBefore = await readInfoNumber(redis, "errorstat_OOM", "errorstats");
    await waitFor(async () => (await readInfoNumber(redis, "errorstat_OOM", "errorstats")) > oomBefore + 2, 10_000, "more OOM refusals");
    expect(run.proc.exitCode).toBeNull();
    await redis.client.config("SET", "maxmemory", "0");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(linesOf(result.stderr).filter((line) => line.includes("out of memory"))).toEqual([
      `error: Redis at ${redis.url} is out of memory (OOM command not allowed when used memory > 'maxmemory'.); cannot take the lock yet: free memory or raise maxmemory, retrying`,
    ]);
    expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
  });

  test("maxmemory reached mid-run: the OOM is reported once, windows are retried, and after CONFIG SET maxmemory 0 the content is exact", async () => {
    const redis = await startOwnRedis(["--maxmemory-policy", "noeviction"]);
    const prefix = "oom:";
    const result = await withPacedServer(PACE, async (paced) => {
      const run = spawnRun(replayArgs(paced.url, redis.url, prefix));
      await waitForNewCheckpoint(redis, prefix, null);
      await redis.client.config("SET", "maxmemory", "1mb");
      await fillUntilOom(redis);
      await waitForStderr(run, "out of memory");
      // Writes keep being tried and refused, and none of them lands half-way.
      const saved = await redis.client.hgetall(`${prefix}checkpoint`);
      const oomBefore = await readInfoNumber(redis, "errorstat_OOM", "errorstats");
      await waitFor(async () => (await readInfoNumber(redis, "errorstat_OOM", "errorstats")) > oomBefore + 2, 10_000, "retried writes");
      expect(await redis.client.hgetall(`${prefix}checkpoint`)).toEqual(saved);
      expect(run.proc.exitCode).toBeNull();
      await redis.client.config("SET", "maxmemory", "0");
      return await run.done;
    });
    expect(result.code).toBe(0);
    const oomLines = linesOf(result.stderr).filter((line) => line.includes("out of memory"));
    expect(oomLines).toHaveLength(1);
    expect(oomLines[0]).toStartWith(`error: Redis at ${redis.url} is out of memory (OOM command not allowed`);
    expect(oomLines[0]).toContain("windows wait in memory");
    expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
  });
});
