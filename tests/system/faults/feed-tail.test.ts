/**
 * `wikistream tail` (issue 20, item 2) where it meets the feed's edges: started while a --feed
 * run has written windows (each due window, provisionally) but made none final yet, so that there
 * is no feed; restarted as a consumer group member with entries it was given and did not ack; and
 * `--from TIME` inside the feed, alone and placing a new group. Compiled binary, real
 * redis-server, the fixture SSE server. (tests/system/faults/feed.test.ts has the feed itself.)
 */
import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, createStreamClock } from "../../support/corpus.ts";
import { readFeed, type Entry } from "../../support/feed.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, terminate, waitFor, whileRunning, type WikistreamProcess } from "../../support/process.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(90_000);

const WINDOW_MS = 10_000;
const LATENESS_MS = 20_000;
const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilIntoLastCycleMs: 100_000 });
const windowArgs = ["--window", `${WINDOW_MS / 1000}s`, "--lateness", `${LATENESS_MS / 1000}s`, "--since", String(sinceMs), "--until", String(untilMs)];

const redis = shareRedis();
const fast = shareFixtureServer({ events: stream.events });

afterEach(killStrayRuns);

const replayArgs = (url: string, prefix: string, extra: string[] = []) => ["--url", url, "--redis-url", redis.url, "--prefix", prefix, ...windowArgs, ...extra];
const tailArgs = (prefix: string, extra: string[]) => ["tail", "--redis-url", redis.url, "--prefix", prefix, "--json", ...extra];

/** The window starts (Unix seconds) of a tail's JSON lines, in the order printed. */
function printedStarts(stdout: string): number[] {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { start: number }).start);
}

const startsOf = (entries: readonly Entry[]) => entries.map((e) => Number(e.fields.start));

/** Waits until `tail` printed `count` lines (or exited), then stops it; fails with what it said on a timeout. */
async function collect(tail: WikistreamProcess, count: number) {
  await waitFor(() => (tail.stdout().match(/\n/g)?.length ?? 0) >= count || tail.proc.exitCode !== null, 60_000, `tail to print ${count} windows`).catch((error: unknown) => {
    throw new Error(`${String(error)}: it printed ${tail.stdout().match(/\n/g)?.length ?? 0}; stderr ${JSON.stringify(tail.stderr())}`);
  });
  return terminate(tail);
}

/**
 * How many events of the stream to send for the first window that holds events to be due (the
 * stream's time is past its end) and no window final (the stream's time is not past the first
 * window's end plus the lateness): held there, the run writes that window provisionally, listing
 * it in `epochs`, and appends nothing to the feed.
 */
function findHoldBeforeFinal(): number {
  const clock = createStreamClock();
  let earliest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < stream.events.length; i++) {
    const eventMs = (JSON.parse(stream.events[i] ?? "{}") as { timestamp: number }).timestamp * 1000;
    const time = clock(eventMs);
    earliest = Math.min(earliest, eventMs);
    if (time >= Math.floor(earliest / WINDOW_MS) * WINDOW_MS + WINDOW_MS) {
      // A check of the check: held here, no window can be final yet.
      expect(time).toBeLessThan(sinceMs + WINDOW_MS + LATENESS_MS);
      return i + 1;
    }
  }
  throw new Error("no window of the stream is ever due");
}

describe("wikistream tail", () => {
  let feed: Entry[] = [];
  const PREFIX = "done:";

  beforeAll(async () => {
    const run = await runWikistream(replayArgs(fast.url, PREFIX, ["--feed", "--quiet"]));
    expect(run.code).toBe(0);
    feed = await readFeed(redis.client, `${PREFIX}feed`);
    expect(feed.length).toBeGreaterThan(30);
  });

  test("started while a --feed run has written windows but made none final (no feed yet), it waits, then prints every window; alone and in a group", async () => {
    const prefix = "early:";
    const held = startFixtureServer({ events: stream.events, holdAt: findHoldBeforeFinal(), atEnd: "close" });
    try {
      const run = spawnTracked(replayArgs(held.url, prefix, ["--feed", "--quiet"]));
      // The first window is written (due, not final): the prefix has windows and no feed.
      await whileRunning(run, waitFor(async () => (await redis.client.zcard(`${prefix}epochs`)) > 0, 30_000, "a window written before any is final"));
      expect(await redis.client.type(`${prefix}feed`)).toBe("none");
      expect(await redis.client.hget(`${prefix}checkpoint`, "final_ms")).toBe("");
      const tails = [spawnTracked(tailArgs(prefix, [])), spawnTracked(tailArgs(prefix, ["--group", "g", "--consumer", "one"]))];
      // Each looks once at the prefix, and says what it found: a wait, or (wrongly) an exit.
      await waitFor(() => tails.every((t) => t.stderr().includes("yet: waiting") || t.proc.exitCode !== null), 30_000, "each tail to look at the prefix");
      for (const t of tails) expect({ exit: t.proc.exitCode, stderr: t.stderr() }).toEqual({ exit: null, stderr: expect.stringContaining(`there is no feed under prefix '${prefix}'`) });
      held.release();
      expect((await run.done).code).toBe(0);
      const written = await readFeed(redis.client, `${prefix}feed`);
      expect(written.length).toBeGreaterThan(30);
      for (const tail of tails) {
        const result = await collect(tail, written.length);
        expect({ code: result.code, starts: printedStarts(result.stdout) }).toEqual({ code: 0, starts: startsOf(written) });
      }
      expect(((await redis.client.xpending(`${prefix}feed`, "g")) as [number])[0]).toBe(0);
    } finally {
      await held.stop();
    }
  });

  test("a run without --feed: a tail waiting on the empty prefix exits 1 once a window is final, saying to run with --feed", async () => {
    const prefix = "plain:";
    const tail = spawnTracked(tailArgs(prefix, []));
    await waitFor(() => tail.stderr().includes("yet: waiting"), 30_000, "the tail to wait");
    expect((await runWikistream(replayArgs(fast.url, prefix, ["--quiet"]))).code).toBe(0);
    const result = await tail.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`prefix '${prefix}' has final windows but no feed (${prefix}feed)`);
    expect(result.stderr).toContain("--feed");
  });

  test("--group: what its consumer was given and did not ack (it died before printing) is printed first at its restart, then the rest, each once", async () => {
    // The state a tail leaves when killed between XREADGROUP and its ack: entries pending for it.
    await redis.client.xgroup("CREATE", `${PREFIX}feed`, "g", "0");
    const given = (await redis.client.xreadgroup("GROUP", "g", "one", "COUNT", 5, "STREAMS", `${PREFIX}feed`, ">")) as [string, [string, string[]][]][];
    expect(given[0]?.[1].map(([id]) => id)).toEqual(feed.slice(0, 5).map((e) => e.id));
    // Another member of the group gets only what was never handed out.
    const other = await collect(spawnTracked(tailArgs(PREFIX, ["--group", "g", "--consumer", "two"])), feed.length - 5);
    expect(printedStarts(other.stdout)).toEqual(startsOf(feed.slice(5)));
    const restarted = spawnTracked(tailArgs(PREFIX, ["--group", "g", "--consumer", "one"]));
    const result = await collect(restarted, 5);
    expect({ code: result.code, starts: printedStarts(result.stdout) }).toEqual({ code: 0, starts: startsOf(feed.slice(0, 5)) });
    expect(((await redis.client.xpending(`${PREFIX}feed`, "g")) as [number])[0]).toBe(0);
  });

  test("--from TIME inside a window starts at the first window that starts at or after it; with --group it places a new group there", async () => {
    const at = 10;
    const startMs = Number(feed[at]?.fields.start) * 1000;
    // One second into window `at`: the next window is the first to print.
    const from = new Date(startMs + 1000).toISOString();
    const alone = await collect(spawnTracked(tailArgs(PREFIX, ["--from", from])), feed.length - at - 1);
    expect(printedStarts(alone.stdout)).toEqual(startsOf(feed.slice(at + 1)));
    const exact = await collect(spawnTracked(tailArgs(PREFIX, ["--from", new Date(startMs).toISOString()])), feed.length - at);
    expect(printedStarts(exact.stdout)).toEqual(startsOf(feed.slice(at)));
    const grouped = await collect(spawnTracked(tailArgs(PREFIX, ["--from", from, "--group", "placed"])), feed.length - at - 1);
    expect(printedStarts(grouped.stdout)).toEqual(startsOf(feed.slice(at + 1)));
    expect(grouped.stderr).toContain(`made consumer group 'placed' on ${PREFIX}feed, starting with the first window from`);
    // Placed once: --from on the group it made changes nothing, and it says so.
    const again = spawnTracked(tailArgs(PREFIX, ["--from", new Date(Number(feed[0]?.fields.start) * 1000).toISOString(), "--group", "placed"]));
    await waitFor(() => again.stderr().includes("goes on where it left off"), 30_000, "the second tail of the group to say it goes on");
    const result = await terminate(again);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: "" });
  });
});
