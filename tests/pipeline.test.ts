import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis, listEpochs } from "./support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "./support/fixture-server.ts";
import { runWikistream, spawnWikistream, waitFor } from "./support/process.ts";
import { dumpWindows, startRedis, type TestRedis } from "./support/redis.ts";

setDefaultTimeout(90_000);

const WINDOW_MS = 30_000;
const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 3, canaryEvery: 97, untilIntoLastCycleMs: 95_000 });
const baseArgs = ["--since", String(sinceMs), "--until", String(untilMs), "--quiet"];

let redis: TestRedis;
let server: FixtureServer;

beforeAll(async () => {
  redis = await startRedis();
  server = startFixtureServer({ events: stream.events });
});

afterAll(async () => {
  await server.stop();
  await redis.stop();
});


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

  test("SIGKILL three times at random moments, restarting each time, leaves exactly the uninterrupted content", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 2500, chunkEvents: 25 });
    try {
      const args = ["--url", paced.url, "--redis-url", redis.url, "--prefix", "kill:", ...baseArgs];
      const kills: number[] = [];
      for (let k = 0; k < 3; k++) {
        const run = spawnWikistream(args);
        const saved = await redis.client.hget("kill:checkpoint", "id");
        // Kill only after this run has saved a position of its own, so the next one resumes.
        await waitFor(async () => {
          const id = await redis.client.hget("kill:checkpoint", "id");
          return id !== null && id !== "" && id !== saved;
        }, 20_000, "a new checkpoint");
        await Bun.sleep(Math.floor(Math.random() * 900));
        run.proc.kill("SIGKILL");
        await run.done;
        kills.push(paced.sent());
      }
      const last = await runWikistream(args, { timeoutMs: 60_000 });
      expect(last.code).toBe(0);
      expect(await dumpWindows(redis, "kill:")).toEqual(formatReferenceAsRedis(reference, "kill:"));
      // The kills landed mid-stream, and restarts resumed from saved positions.
      expect(kills.every((sent) => sent < stream.events.length)).toBe(true);
      expect(paced.connections.slice(1).some((c) => c.lastEventId !== null)).toBe(true);
    } finally {
      await paced.stop();
    }
  });
});
