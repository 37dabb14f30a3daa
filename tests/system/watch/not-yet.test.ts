/**
 * `top` and `read` early in a run (issue 17, item 4): the writer has claimed the prefix (its
 * layout and checkpoint are in Redis) but the stream has not passed the end of its first window,
 * so no window is written yet. Both say so, exit 0, and keep stdout parseable; a prefix no run
 * has touched is still an error naming what to check.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { loadCapture2021 } from "../../support/corpus.ts";
import { killStrayRuns, runWikistream, spawnTracked, terminate, waitFor, type WikistreamProcess } from "../../support/process.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(120_000);

const PREFIX = "early:";
/** Every event in one window of 2021: the stream never passes its end, so it is never written. */
const T = 1_633_731_845;
const events = loadCapture2021()
  .slice(0, 300)
  .map((line) => JSON.stringify({ ...(JSON.parse(line) as Record<string, unknown>), timestamp: T }));
const server = shareFixtureServer({ events, atEnd: "hold" });
const redis = shareRedis();
let writer: WikistreamProcess;

beforeAll(async () => {
  writer = spawnTracked(["--url", server.url, "--redis-url", redis.url, "--prefix", PREFIX]);
  // The writer saves its position (with the layout) while no window is due yet.
  await waitFor(async () => (await redis.client.exists(`${PREFIX}layout`, `${PREFIX}checkpoint`)) === 2 || writer.proc.exitCode !== null, 60_000, "the first checkpoint");
});

afterAll(async () => {
  await terminate(writer);
  killStrayRuns();
});

const NOT_YET = new RegExp(`^a run writes under prefix '${PREFIX}' in redis://127\\.0\\.0\\.1:\\d+, but its first window is not written yet \\(a window is written once the stream passes its end\\): try again in a minute`);

describe("a run has started, no window is written yet", () => {
  test("the state is the one a user meets: layout and checkpoint, no window", async () => {
    expect(writer.proc.exitCode).toBeNull();
    expect(await redis.client.exists(`${PREFIX}epochs`, `${PREFIX}epoch_index`)).toBe(0);
  });

  test("top: says the first window is not written yet, points at --watch, exit 0", async () => {
    const result = await runWikistream(["top", "--redis-url", redis.url, "--prefix", PREFIX]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: "" });
    expect(result.stderr).toMatch(NOT_YET);
    expect(result.stderr).toContain("or watch for it: wikistream top --watch\n");
    expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  test("top --json: an empty list on stdout, the same line on stderr, exit 0", async () => {
    const result = await runWikistream(["top", "--json", "--redis-url", redis.url, "--prefix", PREFIX]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ windows: [] });
    expect(result.stderr).toMatch(NOT_YET);
  });

  test.each([
    ["--csv", (out: string) => expect(out).toBe("start,end,server_name,count,incomplete,final\n")],
    ["--json", (out: string) => expect(JSON.parse(out)).toEqual({ windows: [] })],
  ] as const)("read %s: the empty output of its format, the same line on stderr, exit 0", async (format, check) => {
    const result = await runWikistream(["read", "--redis-url", redis.url, "--prefix", PREFIX, "--from", String(T - 3600), format]);
    expect(result.code).toBe(0);
    check(result.stdout);
    expect(result.stderr).toMatch(NOT_YET);
    expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  test("a prefix no run has touched is still an error that names what to check, exit 1", async () => {
    for (const command of [["top"], ["read", "--from", String(T - 3600)]]) {
      const result = await runWikistream([...command, "--redis-url", redis.url, "--prefix", "nobody:"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("there are no windows under prefix 'nobody:'");
    }
  });
});
