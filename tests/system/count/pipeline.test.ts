import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis, listEpochs } from "../../support/corpus.ts";
import { runWikistream } from "../../support/process.ts";
import { dumpWindows } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(90_000);

const WINDOW_MS = 30_000;
const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 3, canaryEvery: 97, untilIntoLastCycleMs: 95_000 });
const baseArgs = ["--since", String(sinceMs), "--until", String(untilMs), "--quiet"];

const redis = shareRedis();
const server = shareFixtureServer({ events: stream.events });

describe("a replay of the 2021 capture, cycled 3 times with canaries mixed in", () => {
  test("the reference has real content (sanity of the test itself)", () => {
    expect(reference.size).toBeGreaterThan(15);
    expect(stream.events.filter((e) => e.includes('"domain":"canary"')).length).toBeGreaterThan(100);
  });

  test("into Redis: every window equals the independent count, canaries excluded", async () => {
    const result = await runWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", "full:", ...baseArgs]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await dumpWindows(redis, "full:")).toEqual(formatReferenceAsRedis(reference, "full:"));
    expect(await redis.client.exists("full:lock")).toBe(0);
  });

  test("as jsonl on stdout: the same counts, one line per window in order, quiet windows with total 0", async () => {
    const result = await runWikistream(["--url", server.url, "--format", "jsonl", ...baseArgs]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { start: number; end: number; total: number; counts: Record<string, number> });
    const epochs = listEpochs(reference);
    expect(lines.map((l) => l.start)).toEqual(epochs);
    expect(epochs.length).toBeGreaterThan(reference.size);
    for (const [i, start] of epochs.entries()) {
      const counts = reference.get(start) ?? new Map<string, number>();
      const line = lines[i];
      expect(line?.end).toBe(start + WINDOW_MS / 1000);
      expect(line?.counts).toEqual(Object.fromEntries(counts));
      expect(line?.total).toBe([...counts.values()].reduce((a, b) => a + b, 0));
    }
  });

});
