/**
 * The live page's past on the compiled binary and a real redis-server: a run into Redis with
 * --listen reads the prefix's last windows through the sink registry (sink/registry.ts) and
 * shows them before any new window closes; a run that prints has none to read.
 */
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import type { SnapshotMessage } from "../../../src/serve/page/messages.ts";
import { buildCycledStream } from "../../support/corpus.ts";
import { listeningAt } from "../../support/metrics.ts";
import { killStrayRuns, runWikistream, spawnTracked, terminate, waitFor } from "../../support/process.ts";
import { findFreePort, startRedis } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const WINDOW_MS = 10_000;
const cycled = buildCycledStream({ cycles: 1, windowMs: WINDOW_MS, canaryEvery: 40 });
const sinceMs = Math.floor(cycled.firstMs / WINDOW_MS) * WINDOW_MS;
const windowArgs = ["--window", `${WINDOW_MS / 1000}s`, "--lateness", "20s", "--since", String(sinceMs)];

const redis = shareRedis();
const server = shareFixtureServer({ events: cycled.events, ratePerSec: 5000, chunkEvents: 50, atEnd: "hold" });

afterEach(killStrayRuns);

/** The snapshots of GET /events until one satisfies `done`. */
async function readSnapshots(base: string, done: (snapshot: SnapshotMessage) => boolean): Promise<SnapshotMessage> {
  const response = await fetch(`${base}events`);
  const reader = response.body?.getReader();
  if (!reader) throw new Error("no body");
  let text = "";
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) throw new Error(`the event stream ended before the snapshot:\n${text}`);
      text += new TextDecoder().decode(value);
      for (const line of text.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const message = JSON.parse(line.slice(6)) as { kind: string };
        if (message.kind === "snapshot" && done(message as SnapshotMessage)) return message as SnapshotMessage;
      }
    }
  } finally {
    await reader.cancel();
  }
}

/** The final windows the prefix holds: start (s) → counts. */
async function readFinalWindows(prefix: string): Promise<Map<number, Record<string, number>>> {
  const finalMs = Number((await redis.client.hget(`${prefix}checkpoint`, "final_ms")) ?? 0);
  const windows = new Map<number, Record<string, number>>();
  for (const start of (await redis.client.zrange(`${prefix}epochs`, 0, -1)).map(Number)) {
    if (start * 1000 + WINDOW_MS > finalMs) continue;
    const pairs = await redis.client.zrange(`${prefix}${start}`, 0, -1, "WITHSCORES");
    const counts: Record<string, number> = {};
    for (let i = 0; i + 1 < pairs.length; i += 2) counts[pairs[i] ?? ""] = Number(pairs[i + 1]);
    windows.set(start, counts);
  }
  return windows;
}

test("a run into Redis with --listen shows the prefix's stored windows on the page as soon as it has read them", async () => {
  const prefix = "history:";
  const untilMs = sinceMs + 20 * WINDOW_MS;
  const filled = await runWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, ...windowArgs, "--until", String(untilMs)], { timeoutMs: 30_000 });
  expect(filled.code).toBe(0);
  const stored = await readFinalWindows(prefix);
  expect(stored.size).toBeGreaterThan(10);

  // Counting on from the saved position: the page's past comes from Redis, not from this run.
  const run = spawnTracked(["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, ...windowArgs, "--listen", "127.0.0.1:0"]);
  const base = await listeningAt(run);
  const snapshot = await readSnapshots(base, (s) => s.status.history !== "loading");
  expect(snapshot.status).toMatchObject({ redis: true, history: "loaded" });
  const shown = new Map(snapshot.windows.map((w) => [w.start, w.counts]));
  for (const [start, counts] of stored) expect([start, shown.get(start)]).toEqual([start, counts]);
  expect((await terminate(run)).code).toBe(0);
});

test("Redis down at start (issue 17, items 3 and 6): only the run says so, and the page reads its past once Redis is up", async () => {
  const port = await findFreePort();
  const run = spawnTracked(["--url", server.url, "--redis-url", `redis://127.0.0.1:${port}`, "--prefix", "late-history:", ...windowArgs, "--listen", "127.0.0.1:0"]);
  const base = await listeningAt(run);
  await waitFor(() => run.stderr().includes("waiting for Redis"), 20_000, "the waiting line");
  // While the run waits, the page waits with it: its past is still to come, not given up on.
  expect((await readSnapshots(base, () => true)).status.history).toBe("loading");
  const late = await startRedis([], { port });
  try {
    const snapshot = await readSnapshots(base, (s) => s.status.history !== "loading");
    expect(snapshot.status.history).toBe("loaded");
    expect((await terminate(run)).code).toBe(0);
    // Said once, by the run: no second line from the page's reader ("could not read its past
    // windows: cannot reach Redis … is it running?").
    expect(run.stderr().split("\n").filter((line) => line.includes("Redis"))).toEqual([
      `warn: waiting for Redis at redis://127.0.0.1:${port} (connection refused)`,
      `Redis at redis://127.0.0.1:${port} is up`,
    ]);
  } finally {
    await late.stop();
  }
});

test("a run that prints has no past to read: the page says so and does not wait for one", async () => {
  const run = spawnTracked(["--url", server.url, "--format", "jsonl", ...windowArgs, "--listen", "127.0.0.1:0"]);
  const base = await listeningAt(run);
  const snapshot = await readSnapshots(base, () => true);
  expect(snapshot.status.redis).toBe(false);
  expect(snapshot.status.history).toBe("none");
  await waitFor(() => run.stdout().includes('"counts"'), 20_000, "a printed window");
  expect((await terminate(run)).code).toBe(0);
});
