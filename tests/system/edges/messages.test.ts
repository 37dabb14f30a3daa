/**
 * Messages a person reads (issue 8, item 10): numbers agree with their nouns, no ioredis
 * internals, an HTTP error page shown as one line of its text, window starts as ISO times with
 * the Unix seconds beside them, flag errors in the flag's own unit, one line per refusal.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { startRedis, waitForNewCheckpoint } from "../../support/redis.ts";

setDefaultTimeout(30_000);

const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });
const replayArgs = (url: string) => ["--url", url, "--since", String(sinceMs), "--until", String(untilMs)];

afterEach(killStrayRuns);

describe("numbers and nouns", () => {
  test("a window with one change on one wiki says so in the singular", async () => {
    const T0 = 1_700_000_010_000;
    const one = JSON.stringify({ meta: { id: "one", domain: "x", dt: new Date(T0).toISOString() }, timestamp: T0 / 1000, server_name: "en.wikipedia.org", type: "edit" });
    // Eight later events close the window (the stream's time moves with eight, not one).
    const closers = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ meta: { id: `closer-${i}`, domain: "x", dt: new Date(T0 + 100_000).toISOString() }, timestamp: (T0 + 100_000) / 1000, server_name: "de.wikipedia.org", type: "edit" }),
    );
    const server = startFixtureServer({ events: [one, ...closers] });
    try {
      const result = await runWikistream(["--url", server.url, "--lateness", "0s", "--since", String(T0 - 10_000), "--until", String(T0 + 20_000), "--format", "text"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("UTC  1 change on 1 wiki\n");
    } finally {
      await server.stop();
    }
  });
});

describe("no ioredis internals", () => {
  test("a password given to a Redis that has none: one warning of ours, no [WARN] from ioredis", async () => {
    const server = startFixtureServer({ events: stream.events });
    const redis = await startRedis();
    try {
      const url = redis.url.replace("redis://", "redis://:s3cret@");
      const result = await runWikistream([...replayArgs(server.url), "--prefix", "pw:"], { env: { REDIS_URL: url } });
      expect(result.code).toBe(0);
      const warnings = result.stderr.split("\n").filter((line) => line.includes("password"));
      expect(warnings).toEqual([`warn: Redis at ${redis.url.replace("redis://", "redis://:***@")} needs no password, but one was given: remove it from the URL (or set one on the server)`]);
      expect(result.stderr).not.toContain("[WARN]");
      expect(result.stderr).not.toContain("s3cret");
      // The commands that read the windows back say it the same way.
      const read = await runWikistream(["read", "--prefix", "pw:", "--from", "0", "--csv"], { env: { REDIS_URL: url } });
      expect(read.code).toBe(0);
      expect(read.stderr).toBe(`${warnings[0]}\n`);
    } finally {
      await server.stop();
      await redis.stop();
    }
  });

  test("Redis going away mid-run is said in our words, not ioredis's option names", async () => {
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 1500, chunkEvents: 25 });
    const redis = await startRedis();
    try {
      const run = spawnTracked([...replayArgs(paced.url), "--redis-url", redis.url, "--prefix", "away:"]);
      await waitForNewCheckpoint(redis, "away:", null);
      await redis.kill();
      await waitFor(() => /cannot write to Redis|waiting for Redis/.test(run.stderr()), 10_000, "the outage line");
      await redis.start();
      const result = await run.done;
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/enableOfflineQueue|Stream isn't writeable|Please report|maxRetriesPerRequest/);
    } finally {
      await paced.stop();
      await redis.stop();
    }
  });
});

describe("an HTTP error page", () => {
  const page = `<!DOCTYPE html><html><head><title>Wikimedia Error</title><style>body{font:x}</style></head><body>${"<p>Our servers are currently under maintenance.</p>".repeat(200)}</body></html>`;

  test("that stops the run (404) is shown as one line of its text (the title), never the whole page", async () => {
    const server = startFixtureServer({ events: [], respond: () => new Response(page, { status: 404, headers: { "content-type": "text/html" } }) });
    try {
      const result = await runWikistream(["--url", server.url]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([`error: the stream answered HTTP 404: Wikimedia Error for ${server.url}: check --url`]);
    } finally {
      await server.stop();
    }
  });

  test("that is retried (503) is named in one short line, and the run goes on", async () => {
    let calls = 0;
    const server = startFixtureServer({
      events: stream.events,
      respond: () => (++calls === 1 ? new Response(page, { status: 503, headers: { "content-type": "text/html" } }) : undefined),
    });
    try {
      const result = await runWikistream([...replayArgs(server.url), "--format", "jsonl"]);
      expect(result.code).toBe(0);
      const line = result.stderr.split("\n").find((l) => l.includes("503")) ?? "";
      expect(line).toContain("answered HTTP 503");
      expect(line.length).toBeLessThan(300);
      expect(result.stderr).not.toContain("<");
    } finally {
      await server.stop();
    }
  });
});

describe("logs, flags and refusals", () => {
  test("--verbose names window starts as ISO times with the Unix seconds beside them", async () => {
    const server = startFixtureServer({ events: stream.events });
    try {
      const result = await runWikistream([...replayArgs(server.url), "--format", "jsonl", "--verbose"]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/debug: window 2021-10-08T22:2\d:[03]0Z \(16337\d{5}\) (final|due): \d+ changes?/);
    } finally {
      await server.stop();
    }
  });

  test.each([
    [["--window", "0"], "--window must be at least 1s, got '0'"],
    [["--idle-timeout", "0"], "--idle-timeout must be at least 100ms, got '0'"],
    [["--quiet", "--verbose"], "--verbose and --quiet exclude each other"],
    [["--verbose", "--quiet", "--window", "x"], "--window 'x' is not a duration"],
  ])("%p: one line, no stack", async (args, message) => {
    const result = await runWikistream(args);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(`error: ${message}`);
    expect(lines[0]).toEndWith("(see wikistream --help)");
    expect(result.stderr).not.toMatch(/\bat \S+:\d+/);
  });
});
