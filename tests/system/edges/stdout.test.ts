/**
 * What is printed (issue 8, items 6 and 7): a stopped run prints the windows still open, marked
 * partial, so that what was printed adds up to what was counted; quiet windows are printed with
 * a total of 0 and listed in Redis's `epochs` without a key.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, summaryOf, waitFor } from "../../support/process.ts";
import { startRedis } from "../../support/redis.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });

afterEach(killStrayRuns);

interface Line {
  start: number;
  total: number;
  counts: Record<string, number>;
  final?: boolean;
}

/** Runs a paced replay, stops it with `signal` once `events` were served, and returns what it printed. */
async function stopMidway(format: "jsonl" | "text", signal: "SIGINT" | "SIGTERM") {
  const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
  try {
    const run = spawnTracked(["--url", paced.url, "--since", String(sinceMs), "--until", String(untilMs), "--format", format]);
    await waitFor(() => paced.sent() > 3000, 15_000, "3000 events served");
    run.proc.kill(signal);
    return await run.done;
  } finally {
    await paced.stop();
  }
}

describe("nothing shown is lost", () => {
  test.each(["SIGINT", "SIGTERM"] as const)("after %s in jsonl, the windows printed (final and partial) add up to the summary's counted figure", async (signal) => {
    const result = await stopMidway("jsonl", signal);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Line);
    const partial = lines.filter((line) => line.final === false);
    expect(partial.length).toBeGreaterThan(0);
    // Partial windows come last, after every final one, in order.
    expect(lines.slice(-partial.length)).toEqual(partial);
    expect(lines.map((line) => line.start)).toEqual([...lines.map((line) => line.start)].sort((a, b) => a - b));
    const counted = Number(/; (\d+) counted/.exec(summaryOf(result.stderr))?.[1]);
    expect(counted).toBeGreaterThan(0);
    expect(lines.reduce((sum, line) => sum + line.total, 0)).toBe(counted);
    for (const line of lines) expect(Object.values(line.counts).reduce((a, b) => a + b, 0)).toBe(line.total);
  });

  test("in the text table, the partial windows say so", async () => {
    const result = await stopMidway("text", "SIGINT");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("(partial: stopped before it was final)");
    const headers = result.stdout.split("\n").filter((line) => / UTC {2}/.test(line));
    const totals = headers.map((line) => Number(/UTC {2}(\d+) changes?/.exec(line)?.[1] ?? (line.includes("no changes") ? 0 : Number.NaN)));
    const counted = Number(/; (\d+) counted/.exec(summaryOf(result.stderr))?.[1]);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(counted);
  });
});

describe("quiet windows exist", () => {
  // Two bursts of events with two windows of silence between them.
  const T0 = 1_700_000_010_000;
  const event = (i: number, timeMs: number) =>
    JSON.stringify({ meta: { id: `q-${i}`, domain: "en.wikipedia.org", dt: new Date(timeMs).toISOString() }, timestamp: timeMs / 1000, server_name: "en.wikipedia.org", type: "edit" });
  const events = [
    ...Array.from({ length: 5 }, (_, i) => event(i, T0 + i * 1000)),
    ...Array.from({ length: 5 }, (_, i) => event(10 + i, T0 + 90_000 + i * 1000)),
    // Close every window before the second burst's (the stream's time moves with eight events, not one).
    ...Array.from({ length: 8 }, (_, i) => event(99 + i, T0 + 300_000)),
  ];
  const start = Math.floor(T0 / 30_000) * 30;
  const args = (url: string) => ["--url", url, "--lateness", "0s", "--since", String(T0 - 10_000), "--until", String(T0 + 150_000)];

  test("on stdout each is a line with total 0", async () => {
    const server = startFixtureServer({ events });
    try {
      const result = await runWikistream([...args(server.url), "--format", "jsonl"]);
      expect(result.code).toBe(0);
      const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Line);
      expect(lines.map((line) => [line.start, line.total])).toEqual([
        [start, 5],
        [start + 30, 0],
        [start + 60, 0],
        [start + 90, 5],
        [start + 120, 0],
      ]);
      expect(lines[1]?.counts).toEqual({});
    } finally {
      await server.stop();
    }
  });

  test("in Redis each is listed in epochs without a key; epoch_index may name one", async () => {
    const server = startFixtureServer({ events });
    const redis = await startRedis();
    try {
      const result = await runWikistream([...args(server.url), "--redis-url", redis.url, "--prefix", "q:"]);
      expect(result.code).toBe(0);
      expect(await redis.client.zrange("q:epochs", 0, -1)).toEqual([0, 30, 60, 90, 120].map((d) => String(start + d)));
      expect(await redis.client.exists(`q:${start + 30}`, `q:${start + 60}`, `q:${start + 120}`)).toBe(0);
      expect(await redis.client.zscore(`q:${start + 90}`, "en.wikipedia.org")).toBe("5");
      expect(await redis.client.get("q:epoch_index")).toBe(String(start + 120));
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});
