/**
 * The feed (issue 20, items 1 and 2): with --feed every window, once final, is appended once to
 * the Redis Stream {prefix}feed in the same script as its final write. SIGKILLs of the writer,
 * the README's consumer-group readers (JavaScript and Python) killed and restarted, `wikistream tail`,
 * a rewrite of windows already in the feed, and a key of another type. Compiled binary, real
 * redis-server, the fixture SSE server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, whileRunning, terminate, waitFor, type WikistreamProcess } from "../../support/process.ts";
import { dumpWindows, readCheckpointId, waitForNewCheckpoint } from "../../support/redis.ts";
import { leavePending, listExpectedFeed, readFeed, type Entry } from "../../support/feed.ts";
import { removeReadmeConsumers, startConsumer, writeReadmeConsumer } from "../../support/readme-consumer.ts";
import { resolvePython } from "../../../scripts/prepare-tests.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const WINDOW_MS = 10_000;
const LATENESS_MS = 20_000;
const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 3, windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilIntoLastCycleMs: 100_000 });
const windowArgs = ["--window", `${WINDOW_MS / 1000}s`, "--lateness", `${LATENESS_MS / 1000}s`, "--since", String(sinceMs), "--until", String(untilMs)];

const redis = shareRedis();
let fast: FixtureServer;

beforeAll(() => {
  fast = startFixtureServer({ events: stream.events });
});

afterAll(async () => {
  await fast.stop();
  removeReadmeConsumers();
});

afterEach(killStrayRuns);

const replayArgs = (url: string, prefix: string, extra: string[] = []) => ["--url", url, "--redis-url", redis.url, "--prefix", prefix, ...windowArgs, ...extra];

/** ZRANGE … WITHSCORES as member → count. */
function pairUp(flat: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] ?? ""] = Number(flat[i + 1]);
  return out;
}

/** Waits for a README consumer of `group` to catch up, then checks it handled each entry of `feed` once, in order. */
async function expectConsumerSawFeed(group: string, key: string, feed: readonly Entry[]): Promise<void> {
  await waitFor(async () => (await redis.client.llen(`${group}:windows`)) >= feed.length, 20_000, `the ${group} consumer to catch up`);
  expect(((await redis.client.xpending(key, group)) as [number])[0]).toBe(0);
  const seen = (await redis.client.lrange(`${group}:windows`, 0, -1)).map((text) => JSON.parse(text) as { id: string; start: number; total: number; counts: unknown });
  expect(seen.map((w) => w.id)).toEqual(feed.map((e) => e.id));
  expect(seen.map((w) => [w.start, w.total])).toEqual(feed.map((e) => [Number(e.fields.start), Number(e.fields.total)]));
  expect(seen.map((w) => w.counts)).toEqual(feed.map((e) => JSON.parse(e.fields.counts ?? "")));
}

describe("--feed: a Redis Stream of final windows", () => {
  test("three SIGKILLs and a finish: XRANGE holds each final window once, in order, equal to its sorted set; a consumer group reader killed and restarted sees each once", async () => {
    const prefix = "feed:";
    const file = ["bun", writeReadmeConsumer("js", "feed-consumer.mjs")];
    const consumerEnv = { REDIS_URL: redis.url, FEED: `${prefix}feed`, GROUP: "app", CONSUMER: "c1" };
    // The consumer starts first: it waits for the feed to appear.
    let consumer = startConsumer(file, consumerEnv);
    let consumerRestarted = false;
    let pending: string[] = [];
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 800, chunkEvents: 25 });
    try {
      const args = replayArgs(paced.url, prefix, ["--feed", "--quiet"]);
      for (let k = 0; k < 3; k++) {
        const saved = await readCheckpointId(redis, prefix);
        const run = spawnTracked(args);
        await whileRunning(run, waitForNewCheckpoint(redis, prefix, saved));
        if (k === 1) {
          // While it is away, two windows are handed to it that it neither handles nor acks (a kill
          // between its XREADGROUP and its EXEC): it restarts, while the writer writes, with them first.
          pending = await whileRunning(run, leavePending(redis.client, `${prefix}feed`, "app", "c1", 2));
          consumer = startConsumer(file, consumerEnv);
          consumerRestarted = true;
        }
        await Bun.sleep(150 * k);
        expect(run.proc.exitCode).toBeNull();
        run.proc.kill("SIGKILL");
        await run.done;
        // Kill the consumer once, mid-way: after it handled some windows, while more are to come.
        if (k === 0) {
          await waitFor(async () => (await redis.client.llen("app:windows")) > 0, 20_000, "the consumer's first window");
          consumer.kill("SIGKILL");
          await consumer.exited;
        }
      }
    } finally {
      await paced.stop();
    }
    const last = await runWikistream(replayArgs(fast.url, prefix, ["--feed", "--quiet"]), { timeoutMs: 30_000 });
    expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: "" });
    // The windows are exactly those of a run without --feed, and the feed mirrors them.
    const dump = await dumpWindows(redis, prefix);
    expect(dump[`${prefix}feed`]).toBe("stream");
    delete dump[`${prefix}feed`];
    expect(dump).toEqual(formatReferenceAsRedis(reference, prefix));
    const feed = await readFeed(redis.client, `${prefix}feed`);
    expect(feed).toEqual(await listExpectedFeed(redis.client, prefix, WINDOW_MS, reference.incomplete, feed));
    expect(feed.length).toBeGreaterThan(60);

    expect(consumerRestarted).toBe(true);
    expect(pending).toHaveLength(2);
    // Quiet windows are entries too (the replay's cycles leave a few between them).
    expect(feed.some((e) => e.fields.total === "0" && e.fields.counts === "{}")).toBe(true);
    try {
      await expectConsumerSawFeed("app", `${prefix}feed`, feed);
    } finally {
      consumer.kill("SIGKILL");
      await consumer.exited;
    }

    // `tail --json --from` prints the same windows, and `tail --group` acks what it printed.
    for (const extra of [[], ["--group", "tailers"]]) {
      const tail = spawnTracked(["tail", "--redis-url", redis.url, "--prefix", prefix, "--json", "--from", String(sinceMs), ...extra]);
      await waitFor(() => tail.stdout().split("\n").filter(Boolean).length >= feed.length || tail.proc.exitCode !== null, 20_000, "tail to print the feed");
      const result = await terminate(tail);
      expect({ code: result.code, stderr: result.stderr.includes("error") ? result.stderr : "" }).toEqual({ code: 0, stderr: "" });
      const printed = result.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(printed).toEqual(
        feed.map((e) => ({
          start: Number(e.fields.start),
          end: Number(e.fields.end),
          total: Number(e.fields.total),
          final: true,
          incomplete: e.fields.incomplete === "1",
          counts: JSON.parse(e.fields.counts ?? ""),
        })),
      );
      if (extra.length > 0) expect(((await redis.client.xpending(`${prefix}feed`, "tailers")) as [number])[0]).toBe(0);
    }

    // A rewrite of windows already in the feed (--no-resume --since) appends nothing, and says so with a count.
    const again = await runWikistream(replayArgs(fast.url, prefix, ["--feed", "--no-resume"]), { timeoutMs: 30_000 });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`${feed.length} windows were already in the feed ${prefix}feed and were not appended again`));
    expect(await readFeed(redis.client, `${prefix}feed`)).toEqual(feed);
  }, 180_000);

  test("the README's Python (redis-py) reader, killed mid-way and restarted, handles each window once", async () => {
    const prefix = "py:";
    const command = [resolvePython(), writeReadmeConsumer("python", "feed_consumer.py")];
    const env = { REDIS_URL: redis.url, FEED: `${prefix}feed`, GROUP: "pyapp", CONSUMER: "p1" };
    let consumer = startConsumer(command, env);
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
    try {
      const run = spawnTracked(replayArgs(paced.url, prefix, ["--feed", "--quiet"]));
      await whileRunning(run, waitFor(async () => (await redis.client.llen("pyapp:windows")) > 0, 20_000, "the Python reader's first window"));
      consumer.kill("SIGKILL");
      await consumer.exited;
      // Still writing: windows become final while the reader is away, two of them handed to it and
      // neither handled nor acked (a kill between its xreadgroup and its execute): read first at its restart.
      expect(await whileRunning(run, leavePending(redis.client, `${prefix}feed`, "pyapp", "p1", 2))).toHaveLength(2);
      expect(run.proc.exitCode).toBeNull();
      consumer = startConsumer(command, env);
      expect((await run.done).code).toBe(0);
      const feed = await readFeed(redis.client, `${prefix}feed`);
      expect(feed).toEqual(await listExpectedFeed(redis.client, prefix, WINDOW_MS, reference.incomplete, feed));
      await expectConsumerSawFeed("pyapp", `${prefix}feed`, feed);
    } finally {
      consumer.kill("SIGKILL");
      await consumer.exited;
      await paced.stop();
    }
  });

  test("tail started before the feed exists waits for it, then prints every window as it becomes final: JSON lines, the table, and as a group member", async () => {
    const prefix = "live:";
    const tailArgs = ["tail", "--redis-url", redis.url, "--prefix", prefix];
    const tails = [spawnTracked([...tailArgs, "--json"]), spawnTracked(tailArgs), spawnTracked([...tailArgs, "--json", "--group", "g", "--consumer", "one"])];
    await waitFor(() => tails.every((t) => t.stderr().includes(`there is no feed under prefix '${prefix}'`)), 20_000, "the tails to wait for the feed");
    const run = await runWikistream(replayArgs(fast.url, prefix, ["--feed", "--quiet"]));
    expect(run.code).toBe(0);
    const feed = await readFeed(redis.client, `${prefix}feed`);
    expect(feed).toEqual(await listExpectedFeed(redis.client, prefix, WINDOW_MS, reference.incomplete, feed));
    const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;
    await waitFor(
      () => count(tails[0]?.stdout() ?? "", /\n/g) >= feed.length && count(tails[1]?.stdout() ?? "", /^newest window /gm) >= feed.length && count(tails[2]?.stdout() ?? "", /\n/g) >= feed.length,
      // A condition, not a time: on a loaded machine three tails and a replay share two cores.
      90_000,
      "every tail to print the feed",
    ).catch((error: unknown) => {
      const printed = tails.map((t) => `${count(t.stdout(), /\n/g)} lines, ${count(t.stdout(), /^newest window /gm)} tables; stderr ${JSON.stringify(t.stderr())}`);
      throw new Error(`${String(error)}: the feed holds ${feed.length}; the tails printed ${printed.join(" | ")}`);
    });
    const [json, table, group] = await Promise.all(tails.map((t) => terminate(t)));
    for (const result of [json, table, group]) expect(result?.code).toBe(0);
    const starts = (text: string) => text.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { start: number }).start);
    expect(starts(json?.stdout ?? "")).toEqual(feed.map((e) => Number(e.fields.start)));
    expect(starts(group?.stdout ?? "")).toEqual(feed.map((e) => Number(e.fields.start)));
    expect(count(table?.stdout ?? "", /^newest window /gm)).toBe(feed.length);
    expect(group?.stderr).toContain(`made consumer group 'g' on ${prefix}feed`);
    expect(((await redis.client.xpending(`${prefix}feed`, "g")) as [number])[0]).toBe(0);
    // A new member of the group gets nothing the group has handed out already.
    const again = spawnTracked([...tailArgs, "--json", "--group", "g", "--consumer", "two"]);
    await waitFor(async () => ((await redis.client.xinfo("CONSUMERS", `${prefix}feed`, "g")) as unknown[]).length === 2, 60_000, "the second member to read");
    const restarted = await terminate(again);
    expect({ code: restarted.code, stdout: restarted.stdout }).toEqual({ code: 0, stdout: "" });
  }, 180_000);

  test("--retain trims the feed in the same writes as epochs (XTRIM MINID): the entries left are those of the windows left", async () => {
    const base = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    const events: string[] = [];
    for (let t = base; t < base + 14_000; t += 100) events.push(JSON.stringify({ meta: { id: `f-${t}`, domain: "en.wikipedia.org", dt: new Date(t).toISOString() }, timestamp: t / 1000, server_name: "en.wikipedia.org", type: "edit" }));
    const server = startFixtureServer({ events });
    const prefix = "trim:";
    const run = (untilMs: number, since: string[]) =>
      runWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, "--window", "1s", "--lateness", "1s", ...since, "--until", String(untilMs), "--retain", "3s", "--feed"], {
        env: { WIKISTREAM_RETAIN: "" },
      });
    try {
      expect((await run(base + 5000, ["--since", String(base)])).code).toBe(0);
      expect((await readFeed(redis.client, `${prefix}feed`)).map((e) => e.id)).toEqual([0, 1, 2, 3, 4].map((k) => `${base + k * 1000}-0`));
      // Wait until the first windows are past their retention, then write more.
      await waitFor(() => Date.now() > base + 6000, 15_000, "the first windows to pass --retain");
      expect((await run(base + 10_000, [])).code).toBe(0);
      const epochs = (await redis.client.zrange(`${prefix}epochs`, 0, -1)).map(Number);
      expect(epochs.length).toBeLessThan(10);
      expect((await readFeed(redis.client, `${prefix}feed`)).map((e) => e.id)).toEqual(epochs.map((s) => `${s * 1000}-0`));
      expect(await redis.client.xlen(`${prefix}feed`)).toBe(epochs.length);
    } finally {
      await server.stop();
    }
  });

  test("rewrites: windows the feed holds are not appended again (those with other counts said), older ones it never held cannot be added (said)", async () => {
    const prefix = "rewrite:";
    const midMs = Math.ceil((sinceMs + 300_000) / WINDOW_MS) * WINDOW_MS;
    // The feed begins mid-way: the first run starts there.
    const first = await runWikistream(["--url", fast.url, "--redis-url", redis.url, "--prefix", prefix, ...windowArgs, "--since", String(midMs), "--feed", "--quiet"]);
    expect(first.code).toBe(0);
    const feed = await readFeed(redis.client, `${prefix}feed`);
    // Its first entries may come before --since: events arrive out of order (marked incomplete).
    const firstMs = Number(feed[0]?.fields.start) * 1000;
    expect(firstMs).toBeLessThanOrEqual(midMs);
    expect(firstMs).toBeGreaterThan(sinceMs);
    // Rewritten from the start, counting English Wikipedia only: every window the feed holds now has other counts.
    const again = await runWikistream(replayArgs(fast.url, prefix, ["--feed", "--no-resume", "--server", "en.wikipedia.org"]));
    expect(again.code).toBe(0);
    const changed = feed.filter((e) => (JSON.parse(e.fields.counts ?? "{}")["en.wikipedia.org"] ?? 0) !== Number(e.fields.total)).length;
    expect(changed).toBeGreaterThan(0);
    expect(again.stderr).toContain(`${feed.length} windows were already in the feed ${prefix}feed and were not appended again (${changed} of them with other counts than the feed holds: the sorted sets have the rewrite)`);
    // Every window the rewrite made final before the feed's first entry: `epochs` lists them.
    const older = await redis.client.zcount(`${prefix}epochs`, "-inf", `(${firstMs / 1000}`);
    expect(older).toBeGreaterThan(0);
    expect(again.stderr).toContain(`${older} windows older than the newest entry of the feed ${prefix}feed are not in it and cannot be added (a Redis Stream only grows)`);
    expect(again.stderr.match(/writing windows again that the feed/g)).toHaveLength(1);
    expect(await readFeed(redis.client, `${prefix}feed`)).toEqual(feed);
  });

  test("with two views, tail --json prints each window with both, equal to their sorted sets", async () => {
    const prefix = "views:";
    const run = await runWikistream(replayArgs(fast.url, prefix, ["--feed", "--quiet", "--by", "server_name", "--by", "type"]));
    expect(run.code).toBe(0);
    const feed = await readFeed(redis.client, `${prefix}feed`);
    expect(feed.length).toBeGreaterThan(10);
    const tail = spawnTracked(["tail", "--redis-url", redis.url, "--prefix", prefix, "--json", "--from", String(sinceMs)]);
    await waitFor(() => (tail.stdout().match(/\n/g)?.length ?? 0) >= feed.length, 60_000, "tail to print the feed");
    const printed = await terminate(tail);
    expect(printed.stderr).toBe("");
    const lines = printed.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { start: number; counts: Record<string, number>; views: Record<string, Record<string, number>> });
    expect(lines.map((w) => w.start)).toEqual(feed.map((e) => Number(e.fields.start)));
    const readCounts = async (key: string) => pairUp(await redis.client.zrange(key, 0, -1, "WITHSCORES"));
    for (const w of lines) {
      expect(Object.keys(w.views)).toEqual(["server_name", "type"]);
      expect(w.views.server_name).toEqual(w.counts);
      expect(w.counts).toEqual(await readCounts(`${prefix}${w.start}`));
      expect(w.views.type).toEqual(await readCounts(`${prefix}by:type:${w.start}`));
    }
  });

  test("without --feed there is no feed key, and nothing else differs from a run with it (keys, checkpoint fields, layout); tail says how to get one (exit 1)", async () => {
    const prefix = "nofeed:";
    const run = await runWikistream(replayArgs(fast.url, prefix, ["--quiet"]));
    expect(run.code).toBe(0);
    expect(await redis.dump(prefix)).not.toHaveProperty(`${prefix}feed`);
    expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
    // --feed adds its Stream and nothing else: the same keys, checkpoint fields and layout besides.
    const fed = "withfeed:";
    expect((await runWikistream(replayArgs(fast.url, fed, ["--quiet", "--feed"]))).code).toBe(0);
    const shape = async (p: string) => {
      const { created_ms: _created, ...layout } = await redis.client.hgetall(`${p}layout`);
      const keys = Object.keys(await redis.dump(p)).map((key) => key.slice(p.length));
      return { keys: keys.sort(), checkpoint: Object.keys(await redis.client.hgetall(`${p}checkpoint`)).sort(), layout };
    };
    const withFeed = await shape(fed);
    expect(withFeed.keys).toContain("feed");
    expect(await shape(prefix)).toEqual({ ...withFeed, keys: withFeed.keys.filter((key) => key !== "feed") });
    const tail = await runWikistream(["tail", "--redis-url", redis.url, "--prefix", prefix]);
    expect(tail.code).toBe(1);
    expect(tail.stderr.trim().split("\n")).toHaveLength(1);
    expect(tail.stderr).toContain(`prefix '${prefix}' has final windows but no feed`);
    expect(tail.stderr).toContain("--feed");
  });

  test("a feed key of another type is refused before anything is written, naming it", async () => {
    const prefix = "badfeed:";
    await redis.client.set(`${prefix}feed`, "mine");
    const run = await runWikistream(replayArgs(fast.url, prefix, ["--feed"]));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Redis key '${prefix}feed' holds a string`);
    expect(Object.keys(await redis.dump(prefix))).toEqual([`${prefix}feed`]);
  });

  test("a run without --feed on a prefix that has a feed says the feed will miss its windows", async () => {
    const prefix = "feedoff:";
    await redis.client.xadd(`${prefix}feed`, "1-0", "start", "0");
    const run = await runWikistream(replayArgs(fast.url, prefix, []));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`prefix '${prefix}' has a feed (${prefix}feed), but this run has no --feed`);
    expect(await redis.client.xlen(`${prefix}feed`)).toBe(1);
  });
});
