/**
 * The positive side of honest summary reasons: after a SIGKILL and a restart from the saved
 * checkpoint, the events read again that fall into windows already final are reported as
 * `replayed into final windows` (and as wikistream_events_total{outcome="replayed_into_final"}),
 * exactly as many as there are, none as `late`, and the Redis content is the uninterrupted one.
 * (The negative side, a fresh run never saying `replayed`, is in clock.test.ts.)
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { computeFinalMs, createReplayScenario, createStreamClock, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { listeningAt, scrape, valueOf } from "../../support/metrics.ts";
import { killStrayRuns, spawnTracked, summaryOf, waitFor, whileRunning } from "../../support/process.ts";
import { dumpWindows } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(120_000);

// A lateness of 60 s with 10 s windows: no event of this stream is late in an uninterrupted run
// (checked below). That is what makes the replayed count computable from outside, wherever the
// checkpoint was saved (see expectedReplays).
const WINDOW_MS = 10_000;
const LATENESS_MS = 60_000;
const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 3, windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilIntoLastCycleMs: 100_000 });
const windowArgs = ["--window", `${WINDOW_MS / 1000}s`, "--lateness", `${LATENESS_MS / 1000}s`, "--since", String(sinceMs), "--until", String(untilMs)];
const timesMs = stream.events.map((line) => (JSON.parse(line) as { timestamp: number }).timestamp * 1000);
const endOf = (timeMs: number) => Math.floor(timeMs / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
/**
 * Where the first run's stream stops (held, not closed): the run reads exactly these events, so
 * its last checkpoint is known in advance. Then the 10 s windows before 22:24:30 UTC are final,
 * later ones open, and 94 events after the resume point (up to index 1942) are in final windows.
 */
const HOLD_AT = 2500;

const redis = shareRedis();
afterEach(killStrayRuns);

/** The offset (= index here) of a checkpoint id like `[{"topic":…,"partition":0,"offset":N}]`. */
function offsetOf(id: string): number {
  const parsed = JSON.parse(id) as { offset: number }[];
  return parsed[0]?.offset ?? Number.NaN;
}

/**
 * The events a restart from (`resumeOffset`, `finalMs`) must report as replayed into final
 * windows: every event after the resume position whose window ends at or before final_ms.
 * Each was read by the run before: the checkpoint's id is the position just before the first
 * event of the earliest window still open, and its read_after the events read after it when it
 * was saved. An event after the save with such a window would have been late in an
 * uninterrupted run too (the stream's time never goes back, and final_ms ≤ its time then minus
 * the lateness), and this stream has none: so all of them lie within read_after, whatever the
 * moment of the save or of the kill.
 */
function expectedReplays(resumeOffset: number, finalMs: number): number[] {
  const out: number[] = [];
  for (let i = resumeOffset + 1; i < timesMs.length; i++) if (endOf(timesMs[i] ?? 0) <= finalMs) out.push(i);
  return out;
}

describe("a restart after SIGKILL, on a replay of the 2021 capture cycled 3 times, in 10 s windows", () => {
  test("the stream has no late event in an uninterrupted run (what makes the expected count exact)", () => {
    expect(reference.incomplete.size).toBe(0);
    const advance = createStreamClock();
    expect(timesMs.filter((t) => endOf(t) <= advance(t) - LATENESS_MS)).toEqual([]);
  });

  test("reports exactly the events read again for final windows as replayed, none as late, and leaves the uninterrupted content", async () => {
    const prefix = "replayed:";
    // 1. The first run reads up to HOLD_AT, then the stream holds (no reconnect meanwhile:
    // --idle-timeout 10m); it is killed once its checkpoint has the final boundary the stream's
    // time after all of them gives (the resume id and the replays do not depend on the moment).
    const expectedFinalMs = computeFinalMs(stream.events.slice(0, HOLD_AT), { windowMs: WINDOW_MS, latenessMs: LATENESS_MS });
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 2000, chunkEvents: 25, holdAt: HOLD_AT });
    try {
      const first = spawnTracked(["--url", paced.url, "--redis-url", redis.url, "--prefix", prefix, "--quiet", "--idle-timeout", "10m", ...windowArgs]);
      const finalSaved = async () => (await redis.client.hget(`${prefix}checkpoint`, "final_ms")) === String(expectedFinalMs);
      await whileRunning(first, waitFor(finalSaved, 60_000, `final_ms ${expectedFinalMs} in the checkpoint`));
      expect(paced.sent()).toBe(HOLD_AT);
      first.proc.kill("SIGKILL");
      await first.done;
      expect(first.proc.signalCode).toBe("SIGKILL");
    } finally {
      await paced.stop();
    }
    const checkpoint = await redis.client.hgetall(`${prefix}checkpoint`);
    const finalMs = Number(checkpoint.final_ms);
    const resumeOffset = offsetOf(checkpoint.id ?? "");
    // The resume position is the one before the first event of the first window not final
    // (the earliest-opened window still open), computed here from the events alone.
    const firstOpen = timesMs.findIndex((t) => endOf(t) > finalMs);
    expect(resumeOffset).toBe(firstOpen - 1);
    // Windows still open: the run had read past its resume position; and some are final.
    expect(resumeOffset + 1).toBeLessThan(HOLD_AT);
    expect(finalMs).toBeGreaterThan(sinceMs);
    const replays = expectedReplays(resumeOffset, finalMs);
    // Every one of them was read by the first run (it read up to HOLD_AT).
    expect(replays.at(-1) ?? Number.POSITIVE_INFINITY).toBeLessThan(HOLD_AT);
    const k = replays.length;
    expect(k).toBeGreaterThan(0);
    if (process.env.WIKISTREAM_TEST_DEBUG) console.error({ resumeOffset, finalMs, readAfter: checkpoint.read_after, k, lastReplay: replays.at(-1) });

    // 2. The restart reads from the saved id. The server holds at HOLD_AT again, past every
    // replay: once the restart has read up to there, its counters are final for them.
    const fast = startFixtureServer({ events: stream.events, holdAt: HOLD_AT });
    try {
      await restartAndCheck(fast, prefix, checkpoint.id ?? "", resumeOffset, k);
    } finally {
      await fast.stop();
    }
  });
});

/** Runs the restart from `fast` (held at HOLD_AT) and checks its counters, summary and Redis content. */
async function restartAndCheck(fast: FixtureServer, prefix: string, id: string, resumeOffset: number, k: number): Promise<void> {
  const restart = spawnTracked(["--url", fast.url, "--redis-url", redis.url, "--prefix", prefix, "--idle-timeout", "10m", "--listen", "127.0.0.1:0", ...windowArgs]);
  const base = await whileRunning(restart, listeningAt(restart));
  const readAll = async () => valueOf(await scrape(base), "wikistream_events_read_total") === HOLD_AT - (resumeOffset + 1);
  await whileRunning(restart, waitFor(readAll, 60_000, `${HOLD_AT - resumeOffset - 1} events read by the restart`));
  expect(fast.connections.at(-1)?.lastEventId).toBe(id);
  const samples = await scrape(base);
  expect({
    replayed: valueOf(samples, 'wikistream_events_total{outcome="replayed_into_final"}'),
    late: valueOf(samples, 'wikistream_events_total{outcome="late"}'),
  }).toEqual({ replayed: k, late: 0 });
  fast.release();
  const result = await restart.done;
  expect(result.code).toBe(0);
  const summary = summaryOf(result.stderr);
  if (process.env.WIKISTREAM_TEST_DEBUG) console.error({ summary });
  expect(Number(/; (\d+) replayed into final windows(;|$)/.exec(summary)?.[1])).toBe(k);
  expect(summary).not.toMatch(/\d+ late\b/);
  expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
  expect(await redis.client.exists(`${prefix}lock`)).toBe(0);
}
