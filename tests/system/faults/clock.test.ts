/**
 * Bad clocks and lost history (issue 16, items 1 and 2), on the compiled binary and a real
 * redis-server: one mis-dated event cannot finalise the windows before it, events past the
 * wall clock are skipped as `future`, a late event marks its window incomplete, and a
 * `?since=` answered from later than asked marks the windows in between incomplete.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { buildCycledStream, computeReference, createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureOptions, type FixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, skippedOf, spawnTracked, summaryOf, terminate, waitFor } from "../../support/process.ts";
import { dumpWindows, findFreePort } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const WINDOW_MS = 30_000;
const LATENESS_MS = 60_000;
const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 150_000 });

const redis = shareRedis();
afterEach(killStrayRuns);

interface RawEvent {
  timestamp: number;
  server_name: string;
  meta: { dt: string; id: string };
}

/** The stream with a copy of event `at`, re-dated to `timeMs` on `server`, inserted before it. */
function insertCopy(events: string[], at: number, timeMs: number, server: string): string[] {
  const copy = JSON.parse(events[at] ?? "{}") as RawEvent;
  copy.timestamp = timeMs / 1000;
  copy.server_name = server;
  copy.meta = { ...copy.meta, dt: new Date(timeMs).toISOString(), id: `inserted-${server}` };
  return [...events.slice(0, at), JSON.stringify(copy), ...events.slice(at)];
}

/** The events dated `shiftMs` later (timestamp and meta.dt). */
function shiftEvents(events: string[], shiftMs: number): string[] {
  return events.map((line) => {
    const event = JSON.parse(line) as RawEvent;
    event.timestamp += shiftMs / 1000;
    event.meta.dt = new Date(Date.parse(event.meta.dt) + shiftMs).toISOString();
    return JSON.stringify(event);
  });
}

function timeOf(line: string): number {
  return (JSON.parse(line) as RawEvent).timestamp * 1000;
}

/** Every event before --until, counted in its own window: the truth when nothing is late. */
function countAll(events: string[]): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const line of events) {
    const event = JSON.parse(line) as RawEvent;
    const t = event.timestamp * 1000;
    if (t >= untilMs) continue;
    const start = Math.floor(t / WINDOW_MS) * (WINDOW_MS / 1000);
    const counts = out.get(start) ?? new Map<string, number>();
    counts.set(event.server_name, (counts.get(event.server_name) ?? 0) + 1);
    out.set(start, counts);
  }
  return out;
}

async function withServer(events: string[], body: (server: FixtureServer) => Promise<void>, options: Omit<FixtureOptions, "events"> = {}): Promise<void> {
  const server = startFixtureServer({ events, ...options });
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

function replayArgs(url: string, prefix: string): string[] {
  return ["--url", url, "--redis-url", redis.url, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs)];
}

/** The index of the last event dated before --until: a run must read at least this far. */
function lastBeforeUntil(events: string[]): number {
  let last = -1;
  events.forEach((line, i) => {
    if (timeOf(line) < untilMs) last = i;
  });
  return last;
}

describe("one mis-dated event cannot move the watermark", () => {
  test("an event dated an hour past the wall clock is skipped as `future`; Redis equals the count without it", async () => {
    const events = insertCopy(stream.events, 1000, Date.now() + 3_600_000, "future.example.org");
    await withServer(events, async (server) => {
      const result = await runWikistream(replayArgs(server.url, "ahead1h:"));
      expect(result.code).toBe(0);
      const summary = summaryOf(result.stderr);
      expect(skippedOf(summary)).toEqual({ future: 1 });
      expect(summary).not.toContain("late");
      expect(summary).not.toContain("replayed");
      expect(Number(/^(\d+) events/.exec(summary)?.[1])).toBeGreaterThan(lastBeforeUntil(events));
      expect(await dumpWindows(redis, "ahead1h:")).toEqual(formatReferenceAsRedis(reference, "ahead1h:"));
    });
  });

  test("an event 300 s past its neighbours (still in the past) is counted in its own window, and every other window is exact", async () => {
    const at = 1000;
    const events = insertCopy(stream.events, at, timeOf(stream.events[at] ?? "") + 300_000, "early.example.org");
    const truth = computeReference(events, { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs });
    // The truth is every event in its own window: nothing in this stream is late.
    expect(new Map(truth)).toEqual(countAll(events));
    expect(truth.incomplete.size).toBe(0);
    await withServer(events, async (server) => {
      const result = await runWikistream(replayArgs(server.url, "ahead300:"));
      expect(result.code).toBe(0);
      const summary = summaryOf(result.stderr);
      const total = [...truth.values()].reduce((sum, counts) => sum + [...counts.values()].reduce((a, b) => a + b, 0), 0);
      expect(summary).toContain(`${total} counted`);
      expect(summary).not.toContain("late");
      expect(summary).not.toContain("replayed");
      expect(Number(/^(\d+) events/.exec(summary)?.[1])).toBeGreaterThan(lastBeforeUntil(events));
      expect(await dumpWindows(redis, "ahead300:")).toEqual(formatReferenceAsRedis(truth, "ahead300:"));
    });
  });

  test("an event later than the lateness is `late`, not `replayed`, and its window is marked incomplete", async () => {
    const at = 4000;
    const lateMs = timeOf(stream.events[at] ?? "") - 150_000;
    const events = insertCopy(stream.events, at, lateMs, "late.example.org");
    const truth = computeReference(events, { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs });
    const lateStart = Math.floor(lateMs / WINDOW_MS) * (WINDOW_MS / 1000);
    expect([...truth.incomplete]).toEqual([lateStart]);
    await withServer(events, async (server) => {
      const result = await runWikistream(replayArgs(server.url, "late:"));
      expect(result.code).toBe(0);
      const summary = summaryOf(result.stderr);
      expect(summary).toContain("; 1 late");
      expect(summary).not.toContain("replayed");
      expect(await dumpWindows(redis, "late:")).toEqual(formatReferenceAsRedis(truth, "late:"));
    });
  });

  test("when every event is dated past --max-ahead: one warning, /readyz not ready with the reason, and a metric", async () => {
    const cycled = buildCycledStream({ cycles: 1 });
    const events = shiftEvents(cycled.events, Date.now() + 3_600_000 - cycled.firstMs);
    const port = await findFreePort();
    const server = startFixtureServer({ events, ratePerSec: 400, chunkEvents: 20, atEnd: "hold" });
    try {
      const run = spawnTracked(["--url", server.url, "--redis-url", redis.url, "--prefix", "allfuture:", "--listen", `127.0.0.1:${port}`, "--window", "2s"]);
      const base = `http://127.0.0.1:${port}/`;
      await waitFor(() => /dated more than --max-ahead/.test(run.stderr()), 30_000, "the warning about future events");
      await waitFor(
        async () => {
          const response = await fetch(`${base}readyz`).catch(() => undefined);
          return response?.status === 503 && /--max-ahead/.test(((await response.json()) as { reason: string }).reason);
        },
        30_000,
        "/readyz 503 naming --max-ahead",
      );
      const metrics = await (await fetch(`${base}metrics`)).text();
      expect(Number(/wikistream_events_skipped_total\{reason="future"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
      const result = await terminate(run);
      expect(result.stderr.split("\n").filter((line) => line.includes("--max-ahead"))).toHaveLength(1);
      expect(skippedOf(summaryOf(result.stderr)).future).toBeGreaterThan(0);
      expect(await redis.client.zcard("allfuture:epochs")).toBe(0);
    } finally {
      await server.stop();
    }
  });

  test("--max-ahead 2h: a stream dated an hour ahead, from a --since there, is counted exactly (refused under the default 10m)", async () => {
    const cycled = buildCycledStream({ cycles: 1 });
    const events = shiftEvents(cycled.events, Math.floor((Date.now() + 3_600_000 - cycled.firstMs) / WINDOW_MS) * WINDOW_MS);
    const since = Math.floor(timeOf(events[0] ?? "") / WINDOW_MS) * WINDOW_MS;
    const until = since + 180_000;
    const truth = computeReference(events, { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs: until });
    await withServer(events, async (server) => {
      const args = ["--url", server.url, "--redis-url", redis.url, "--prefix", "ahead2h:", "--since", String(since), "--until", String(until)];
      const refused = await runWikistream(args);
      expect({ code: refused.code, said: /--since .* is in the future/.test(refused.stderr) }).toEqual({ code: 2, said: true });
      const result = await runWikistream([...args, "--max-ahead", "2h"]);
      expect(result.code).toBe(0);
      const summary = summaryOf(result.stderr);
      expect(skippedOf(summary)).toEqual({});
      expect(summary).toContain(`; ${[...truth.values()].reduce((sum, counts) => sum + [...counts.values()].reduce((a, b) => a + b, 0), 0)} counted`);
      expect(await dumpWindows(redis, "ahead2h:")).toEqual(formatReferenceAsRedis(truth, "ahead2h:"));
    });
  });
});

describe("missing history is marked", () => {
  test("--since 4 h back against a server whose history starts 2 h back: the windows in between are incomplete, with one warning", async () => {
    const cycled = buildCycledStream({ cycles: 1 });
    const nowMs = Date.now();
    const shiftMs = Math.floor((nowMs - 2 * 3_600_000 - cycled.firstMs) / WINDOW_MS) * WINDOW_MS;
    const events = shiftEvents(cycled.events, shiftMs);
    const firstMs = timeOf(events[0] ?? "");
    const since = Math.floor((nowMs - 4 * 3_600_000) / WINDOW_MS) * WINDOW_MS;
    const until = Math.floor((cycled.firstMs + shiftMs + 180_000) / WINDOW_MS) * WINDOW_MS;
    await withServer(events, async (server) => {
      const result = await runWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", "gap:", "--since", String(since), "--until", String(until)]);
      expect(result.code).toBe(0);
      const warnings = result.stderr.split("\n").filter((line) => /incomplete/.test(line));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(new Date(since).toISOString().replace(".000Z", "Z"));
      const incomplete = new Set((await redis.client.smembers("gap:incomplete")).map(Number));
      const epochs = new Set((await redis.client.zrange("gap:epochs", 0, -1)).map(Number));
      const missing: number[] = [];
      for (let s = since; s + WINDOW_MS <= firstMs; s += WINDOW_MS) if (!incomplete.has(s / 1000) || !epochs.has(s / 1000)) missing.push(s / 1000);
      expect(missing).toEqual([]);
      // After the gap (and the lateness past the first event), every window is exact.
      const truth = computeReference(events, { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs: until });
      const after = await dumpWindows(redis, "gap:");
      const expected = formatReferenceAsRedis(truth, "gap:");
      const clearFrom = (Math.floor(firstMs / WINDOW_MS) * WINDOW_MS + WINDOW_MS + LATENESS_MS) / 1000;
      for (const key of Object.keys(expected)) {
        const start = Number(key.slice("gap:".length));
        if (Number.isFinite(start) && start >= clearFrom) expect({ key, value: after[key] }).toEqual({ key, value: expected[key] });
      }
    });
  });

  test("a resume whose saved position is gone, answered from 2 h later: the windows in between are incomplete, with one warning", async () => {
    // Two copies of the capture 2 h apart; the server's history now starts at the second (offset
    // `second`), so the saved position is refused (400) and the ?since= fallback is answered 2 h on.
    const cycled = buildCycledStream({ cycles: 2, periodMs: 2 * 3_600_000 });
    const second = cycled.events.length / 2;
    const since = Math.floor(cycled.firstMs / WINDOW_MS) * WINDOW_MS;
    const firstMs = timeOf(cycled.events[second] ?? "");
    const until = Math.floor((firstMs + 180_000) / WINDOW_MS) * WINDOW_MS;
    const args = (url: string, untilMs: number) => ["--url", url, "--redis-url", redis.url, "--prefix", "regap:", "--since", String(since), "--until", String(untilMs)];
    await withServer(cycled.events, async (server) => {
      expect((await runWikistream(args(server.url, since + 210_000))).code).toBe(0);
    });
    const finalMs = Number(await redis.client.hget("regap:checkpoint", "final_ms"));
    expect(finalMs).toBeGreaterThan(since);
    const before = await dumpWindows(redis, "regap:");
    await withServer(
      cycled.events,
      async (server) => {
        const result = await runWikistream(args(server.url, until));
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("refused the saved position");
        expect(server.connections.map((c) => c.startIndex)).toEqual([-1, second]);
        const warnings = result.stderr.split("\n").filter((line) => /incomplete/.test(line));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(new Date(finalMs).toISOString().replace(".000Z", "Z"));
      },
      { minOffset: second },
    );
    const incomplete = new Set((await redis.client.smembers("regap:incomplete")).map(Number));
    const epochs = new Set((await redis.client.zrange("regap:epochs", 0, -1)).map(Number));
    const missing: number[] = [];
    for (let s = finalMs; s + WINDOW_MS <= firstMs; s += WINDOW_MS) if (!incomplete.has(s / 1000) || !epochs.has(s / 1000)) missing.push(s / 1000);
    expect(missing).toEqual([]);
    // What the first run made final stays as it was, and is not marked.
    expect([...incomplete].filter((s) => s * 1000 < finalMs)).toEqual([]);
    const after = await dumpWindows(redis, "regap:");
    for (const [key, value] of Object.entries(before)) if (/:\d+$/.test(key)) expect({ key, value: after[key] }).toEqual({ key, value });
    // After the gap (and the lateness past its first event), every window is exact.
    const truth = formatReferenceAsRedis(computeReference(cycled.events.slice(second), { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs: until }), "regap:");
    const clearFrom = (Math.floor(firstMs / WINDOW_MS) * WINDOW_MS + WINDOW_MS + LATENESS_MS) / 1000;
    const exact = Object.keys(truth).filter((key) => Number(key.slice("regap:".length)) >= clearFrom);
    expect(exact.length).toBeGreaterThan(0);
    for (const key of exact) expect({ key, value: after[key] }).toEqual({ key, value: truth[key] });
  });

  test("--since later than now is refused: exit 2 with one line", async () => {
    const result = await runWikistream(["--url", "http://127.0.0.1:9/none", "--since", "2099-01-01T00:00:00Z"]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("--since");
    expect(lines[0]).toContain("future");
  });
});
