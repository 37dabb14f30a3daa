/**
 * Give up when asked (issue 8, item 9): with --give-up-after, a run that neither reads an event
 * nor writes a window for that long exits 1 with the last problem it met; without it, it keeps
 * trying, as a service should.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { findFreePort, startRedis } from "../../support/redis.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });

afterEach(killStrayRuns);

describe("--give-up-after", () => {
  test("Redis never comes: exit 1 after about that long, naming the last problem", async () => {
    const server = startFixtureServer({ events: stream.events });
    const port = await findFreePort();
    try {
      const started = Date.now();
      const result = await runWikistream(["--url", server.url, "--redis-url", `redis://127.0.0.1:${port}`, "--since", String(sinceMs), "--give-up-after", "2s"]);
      const tookMs = Date.now() - started;
      expect(result.code).toBe(1);
      expect(tookMs).toBeGreaterThanOrEqual(2000);
      const last = result.stderr.trim().split("\n").at(-1) ?? "";
      expect(last).toBe(
        `error: no event read and no window written for 2s (last problem: waiting for Redis at redis://127.0.0.1:${port} (connection refused)): giving up, as --give-up-after asks`,
      );
    } finally {
      await server.stop();
    }
  });

  test("the stream never answers: exit 1 naming it", async () => {
    const port = await findFreePort();
    const result = await runWikistream(["--url", `http://127.0.0.1:${port}/stream`, "--give-up-after", "2s"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`(last problem: cannot reach http://127.0.0.1:${port}/stream (`);
    expect(result.stderr).toContain("giving up, as --give-up-after asks");
  });

  test("a run that makes progress is not stopped, however long it takes", async () => {
    // Some 7,300 events to read at 500/s: over 14 s of reading, more than twice a 6 s allowance
    // (the pace makes it no shorter on any machine), while a gap between events, even on a loaded
    // one, is a fraction of a second.
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 500, chunkEvents: 25 });
    const redis = await startRedis();
    try {
      const started = Date.now();
      const result = await runWikistream(["--url", paced.url, "--redis-url", redis.url, "--since", String(sinceMs), "--until", String(untilMs), "--give-up-after", "6s"], { timeoutMs: 90_000 });
      expect(result.stderr).not.toContain("giving up");
      expect(result.code).toBe(0);
      expect(Date.now() - started).toBeGreaterThan(12_000);
    } finally {
      await paced.stop();
      await redis.stop();
    }
  }, 120_000);

  test("without it, a run waiting for Redis keeps waiting", async () => {
    const port = await findFreePort();
    const run = spawnTracked(["--url", "http://127.0.0.1:1/", "--redis-url", `redis://127.0.0.1:${port}`]);
    await waitFor(() => run.stderr().includes("waiting for Redis"), 10_000, "the waiting line");
    // Twice the allowance the other tests give, and still alive.
    await Bun.sleep(4000);
    expect(run.proc.exitCode).toBeNull();
  });
});
