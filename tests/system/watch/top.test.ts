/**
 * `wikistream top` (issue 9, item 4) against the compiled binary and a real redis-server that a
 * replay filled: --json equals the windows Redis holds (read here with plain commands), the
 * table names the newest window's busiest wiki with a sparkline, --watch redraws as a writer
 * lands windows, and nothing is ever written.
 */
import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { dumpAllDatabases, readInfoNumber } from "../../support/redis.ts";
import { createQueryScenario, killLiveRuns, readStored, spawnLive, type StoredWindow } from "./stored.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(30_000);

const scenario = createQueryScenario();
const PREFIX = "q:";
const server = shareFixtureServer({ events: scenario.stream.events });
const redis = shareRedis(["--databases", "4"]);
let stored: StoredWindow[];

beforeAll(async () => {
  const fill = await runWikistream(scenario.args(server.url, redis.url, PREFIX));
  if (fill.code !== 0) throw new Error(`the replay failed: ${fill.stderr}`);
  stored = await readStored(redis.client, PREFIX);
});
afterEach(() => {
  killStrayRuns();
  killLiveRuns();
});

const top = (...args: string[]) => runWikistream(["top", "--redis-url", redis.url, "--prefix", PREFIX, ...args]);
const SPARK = /[▁▂▃▄▅▆▇█ ]+/;

describe("what top shows is what Redis holds", () => {
  test("the replay left windows to show, the first one incomplete", () => {
    expect(stored.length).toBeGreaterThan(10);
    expect(stored[0]?.incomplete).toBe(true);
    expect(stored.filter((w) => w.incomplete)).toHaveLength(1);
    expect(stored.every((w) => w.final)).toBe(true);
  });

  test.each([1, 5, 20, 1200])("--json --windows %p: the newest windows, oldest first, equal to Redis", async (n) => {
    const result = await top("--json", "--windows", String(n));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ windows: stored.slice(-n) });
    expect(result.stdout.endsWith("}\n")).toBe(true);
  });

  test("the table names the newest window's busiest wiki with its count, a bar and a sparkline", async () => {
    const result = await top("--windows", "8");
    expect(result.code).toBe(0);
    const newest = stored[stored.length - 1] as StoredWindow;
    const [busiest, count] = Object.entries(newest.counts)[0] ?? ["", 0];
    const lines = result.stdout.split("\n");
    expect(lines[0]).toContain(`${newest.total} changes on ${Object.keys(newest.counts).length} wikis`);
    expect(lines[0]).toContain(new Date(newest.start * 1000).toISOString().slice(0, 10));
    const row = lines.find((line) => line.startsWith(`  ${busiest} `)) ?? "";
    expect(row).toMatch(new RegExp(`^  ${busiest.replace(/\./g, "\\.")} +${count}  █+ +[▁▂▃▄▅▆▇█]`));
    // The busiest wiki's sparkline ends at full height: the newest window is its own peak
    // only if it is; so check it against the counts instead.
    const series = stored.slice(-8).map((w) => w.counts[busiest] ?? 0);
    const spark = /  ([▁▂▃▄▅▆▇█ ]{8})$/.exec(row)?.[1] ?? row.slice(-8);
    const peak = series.indexOf(Math.max(...series));
    expect(spark[peak]).toBe("█");
    series.forEach((n, i) => expect(spark[i] === " ").toBe(n === 0));
    expect(lines.filter((line) => /^ {2}\S/.test(line) && !line.startsWith("  …")).length).toBe(1 + 10 + 1); // heading, 10 wikis, all wikis
    expect(lines.some((line) => line.startsWith("  … ") && line.includes("--all"))).toBe(true);
  });

  test("--all lists every wiki of the newest window; incomplete windows are marked under the sparklines", async () => {
    const result = await top("--all", "--windows", String(stored.length));
    expect(result.code).toBe(0);
    const newest = stored[stored.length - 1] as StoredWindow;
    for (const name of Object.keys(newest.counts)) expect(result.stdout).toContain(`  ${name} `);
    const mark = result.stdout.split("\n").find((line) => line.startsWith("  incomplete ")) ?? "";
    // One ^ under the first window: the last character of the line is the first of the sparkline.
    expect(mark.trimEnd().endsWith("^")).toBe(true);
    const allRow = result.stdout.split("\n").find((line) => line.startsWith("  all wikis ")) ?? "";
    expect(allRow.length - mark.length).toBe(stored.length - 1);
    expect(SPARK.test(allRow)).toBe(true);
  });
});

describe("top only reads", () => {
  test("top, top --json and top --watch change nothing in any database, not even a counter of writes", async () => {
    const before = await dumpAllDatabases(redis);
    const dirty = await readInfoNumber(redis, "rdb_changes_since_last_save");
    expect((await top()).code).toBe(0);
    expect((await top("--json", "--all")).code).toBe(0);
    const watching = spawnLive(["top", "--watch", "--json", "--redis-url", redis.url, "--prefix", PREFIX]);
    await waitFor(() => watching.stdout().includes("\n"), 10_000, "the first frame");
    watching.proc.kill("SIGTERM");
    expect(await watching.proc.exited).toBe(0);
    expect(await dumpAllDatabases(redis)).toEqual(before);
    expect(await readInfoNumber(redis, "rdb_changes_since_last_save")).toBe(dirty);
  });
});

describe("top says what is wrong in one line", () => {
  test("a prefix with no windows: exit 1, one line saying so", async () => {
    const result = await runWikistream(["top", "--redis-url", redis.url, "--prefix", "nope:"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("there are no windows under prefix 'nope:'")]);
  });

  test("no --redis-url: exit 2, one line naming REDIS_URL; REDIS_URL alone will do", async () => {
    const missing = await runWikistream(["top"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toEqual([expect.stringContaining("REDIS_URL")]);
    const fromEnv = await runWikistream(["top", "--json", "--windows", "2"], { env: { REDIS_URL: redis.url, WIKISTREAM_PREFIX: PREFIX } });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toEqual({ windows: stored.slice(-2) });
  });

  test("a database the server does not have: exit 1, one line naming the ones it has", async () => {
    const result = await runWikistream(["top", "--redis-url", `${redis.url}/7`, "--prefix", PREFIX]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([`error: ${redis.url}/7: the server has databases 0–3; pick one of those in --redis-url`]);
  });

  test("the windows are in database 0, so database 2 has none there", async () => {
    const result = await runWikistream(["top", "--redis-url", `${redis.url}/2`, "--prefix", PREFIX]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("there are no windows under prefix 'q:'");
  });

  test.each([
    [["--windows", "0"], "--windows must be a whole number of windows from 1 to 1200"],
    [["--watchh"], "unknown flag '--watchh': did you mean --watch?"],
    [["extra"], "unexpected argument 'extra': wikistream top takes only flags"],
  ])("%p: exit 2, one line pointing at top's help", async (args, message) => {
    const result = await runWikistream(["top", "--redis-url", redis.url, ...(args as string[])]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("(see wikistream top --help)");
  });
});

describe("top --watch", () => {
  test("redraws as a paced replay lands new windows, and stops on SIGTERM with exit 0", async () => {
    const paced = startFixtureServer({ events: scenario.stream.events, ratePerSec: 1500, chunkEvents: 25 });
    try {
      const watching = spawnLive(["top", "--watch", "--json", "--windows", "3", "--redis-url", redis.url, "--prefix", "live:"]);
      // Started before anything is written: it waits for the first window, and says so.
      await waitFor(() => watching.stderr().includes("there are no windows under prefix 'live:'"), 10_000, "the wait for a first window");
      const writer = spawnTracked(scenario.args(paced.url, redis.url, "live:"));
      const frames = () => watching.stdout().split("\n").filter(Boolean).map((line) => JSON.parse(line) as { windows: StoredWindow[] });
      const newestStarts = () => new Set(frames().map((f) => f.windows[f.windows.length - 1]?.start));
      await waitFor(() => newestStarts().size >= 2, 20_000, "two frames with different newest windows");
      // Before the writer is done, some window shown may still change.
      expect(frames().some((f) => f.windows.some((w) => !w.final))).toBe(true);
      watching.proc.kill("SIGTERM");
      expect(await watching.proc.exited).toBe(0);
      expect((await writer.done).code).toBe(0);
    } finally {
      await paced.stop();
    }
  });
});

describe("the commands on the command line", () => {
  test("wikistream --help lists top and read; each has a help of its own, from its table, within 80 columns", async () => {
    const main = await runWikistream(["--help"]);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^ +wikistream top \[flags\] +\S/m);
    expect(main.stdout).toMatch(/^ +wikistream read --from TIME \[flags\] +\S/m);
    const { TOP_FLAGS, READ_FLAGS } = await import("../../../src/cli/query-flags.ts");
    for (const [command, table] of [["top", TOP_FLAGS], ["read", READ_FLAGS]] as const) {
      for (const args of [[command, "--help"], [command, "-h"], [command, "--redis-url", "redis://x", "--help"]]) {
        const result = await runWikistream(args);
        expect(result.code).toBe(0);
        expect(result.stderr).toBe("");
        expect(result.stdout).toContain(`Usage: wikistream ${command} `);
        for (const name of Object.keys(table)) expect(result.stdout).toContain(`--${name}`);
        expect(result.stdout).not.toContain("--window ");
        for (const line of result.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
      }
    }
  });

  test.each([
    [["tpo"], "unknown command 'tpo' (did you mean top?): the commands are top, read, tail, healthcheck and completion"],
    [["raed", "--from", "0"], "unknown command 'raed' (did you mean read?)"],
    [["count"], "unknown command 'count'"],
    [["--bogus"], "unknown flag '--bogus'"],
    [["--prefix", "x:", "top"], "unexpected argument 'top': wikistream takes only flags"],
  ])("%p: exit 2 with one line", async (args, message) => {
    const result = await runWikistream(args as string[]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining(message)]);
  });
});
