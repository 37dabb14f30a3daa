/**
 * Exact rollups (issue 13, item 2): with --rollup 1h,1d, after a replay across hours and a day
 * boundary with SIGKILLs at random moments, every hourly and daily sorted set equals the sum of
 * its windows computed independently from the data, and incomplete windows propagate.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { buildCycledStream, computeReference, formatReferenceAsRedis, type Reference } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked } from "../../support/process.ts";
import { createRandom } from "../../support/random.ts";
import { dumpAllDatabases, dumpWindows, waitForNewCheckpoint } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(90_000);

const WINDOW_MS = 30_000;
const LATENESS_MS = 60_000;
const HOUR_S = 3600;
const DAY_S = 86_400;
// Four cycles of the 22:23 capture, 47 minutes apart: 22:23, 23:10, 23:57 and 00:44 the next
// day, so hours 22 to 0, a day boundary, and quiet stretches between the cycles.
const stream = buildCycledStream({ cycles: 4, windowMs: WINDOW_MS, periodMs: 47 * 60_000 });
// Not on a window boundary: the first window (and so its hour and its day) misses events.
const sinceMs = Math.floor(stream.firstMs / WINDOW_MS) * WINDOW_MS + 7000;
const untilMs = Math.floor(stream.firstMs / WINDOW_MS) * WINDOW_MS + 3 * stream.periodMs + 150_000;
const reference = computeReference(stream.events.filter((e) => eventMs(e) >= sinceMs), { windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilMs });

function eventMs(line: string): number {
  const event = JSON.parse(line) as { timestamp?: number };
  return (event.timestamp ?? 0) * 1000;
}

/** Sums the reference's windows per period of `spanS` seconds: period start → wiki → count. */
function sumPeriods(windows: Reference, spanS: number): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const [start, counts] of windows) {
    const period = Math.floor(start / spanS) * spanS;
    const sums = out.get(period) ?? new Map<string, number>();
    for (const [wiki, n] of counts) sums.set(wiki, (sums.get(wiki) ?? 0) + n);
    out.set(period, sums);
  }
  return out;
}

/** A rollup as Redis returns it (ZRANGE WITHSCORES: by score, then member bytes). */
function asZrange(sums: Map<string, number>): string[] {
  return [...sums].sort((a, b) => a[1] - b[1] || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))).flatMap(([wiki, n]) => [wiki, String(n)]);
}

const redis = shareRedis();

afterEach(killStrayRuns);

const args = (url: string, prefix: string) => ["--url", url, "--redis-url", redis.url, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs), "--rollup", "1h,1d"];

describe("--rollup 1h,1d", () => {
  test("the data spans hours 22, 23 and 0 and a day boundary (sanity of the test itself)", () => {
    expect([...sumPeriods(reference, HOUR_S).keys()].length).toBe(3);
    expect([...sumPeriods(reference, DAY_S).keys()].length).toBe(2);
  });

  test("after SIGKILLs at random moments (seeded) and restarts, every hour and day equals the sum of its windows, and incomplete windows propagate", async () => {
    const seed = Number(process.env.WIKISTREAM_KILL_SEED ?? 7);
    const random = createRandom(seed);
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 3000, chunkEvents: 20 });
    const prefix = "roll:";
    try {
      for (let kill = 0; kill < 3; kill++) {
        const run = spawnTracked(args(paced.url, prefix));
        const saved = await redis.client.hget(`${prefix}checkpoint`, "id");
        await waitForNewCheckpoint(redis, prefix, saved);
        await Bun.sleep(Math.floor(random() * 600));
        run.proc.kill("SIGKILL");
        await run.done;
      }
      const last = await runWikistream(args(paced.url, prefix), { timeoutMs: 60_000 });
      expect({ seed, code: last.code }).toEqual({ seed, code: 0 });
    } finally {
      await paced.stop();
    }
    // The windows themselves are exact (the incomplete sets are checked below)…
    const windowsOnly = (dump: Record<string, unknown>) => Object.fromEntries(Object.entries(dump).filter(([key]) => !/:(1h|1d):|:incomplete$/.test(key)));
    expect(windowsOnly(await dumpWindows(redis, prefix))).toEqual(formatReferenceAsRedis(reference, prefix));
    // …and every rollup is the sum of them.
    for (const [level, span] of [["1h", HOUR_S], ["1d", DAY_S]] as const) {
      const expected = sumPeriods(reference, span);
      const listed = (await redis.client.zrange(`${prefix}${level}:epochs`, 0, -1)).map(Number);
      expect({ seed, level, listed }).toEqual({ seed, level, listed: [...expected.keys()].sort((a, b) => a - b) });
      for (const [period, sums] of expected) {
        expect({ seed, key: `${prefix}${level}:${period}`, value: await redis.client.zrange(`${prefix}${level}:${period}`, 0, -1, "WITHSCORES") }).toEqual({
          seed,
          key: `${prefix}${level}:${period}`,
          value: asZrange(sums),
        });
      }
    }
    // The first window misses events (an unaligned --since), and its hour started before the run:
    // both make hour 22 incomplete, and with it the day, which the run reached the end of.
    const firstWindow = Math.floor(sinceMs / WINDOW_MS) * (WINDOW_MS / 1000);
    expect(await redis.client.sismember(`${prefix}incomplete`, String(firstWindow))).toBe(1);
    const firstHour = Math.floor(firstWindow / HOUR_S) * HOUR_S;
    expect(await redis.client.smembers(`${prefix}1h:incomplete`)).toEqual([String(firstHour)]);
    expect(await redis.client.smembers(`${prefix}1d:incomplete`)).toEqual([String(Math.floor(firstWindow / DAY_S) * DAY_S)]);
  });

  test("read and top --resolution 1h|1d give the rollups back: the sums, the incomplete hour and day, which are final", async () => {
    const server = startFixtureServer({ events: stream.events });
    const prefix = "roll-read:";
    try {
      expect((await runWikistream(args(server.url, prefix), { timeoutMs: 60_000 })).code).toBe(0);
    } finally {
      await server.stop();
    }
    const firstHour = Math.floor(sinceMs / 1000 / HOUR_S) * HOUR_S;
    const firstDay = Math.floor(sinceMs / 1000 / DAY_S) * DAY_S;
    const query = ["--redis-url", redis.url, "--prefix", prefix];
    for (const [level, span] of [["1h", HOUR_S], ["1d", DAY_S]] as const) {
      const expected = [...sumPeriods(reference, span)].sort((a, b) => a[0] - b[0]);
      const result = await runWikistream(["read", ...query, "--resolution", level, "--from", String(firstDay), "--json"]);
      expect({ level, code: result.code, stderr: result.stderr }).toEqual({ level, code: 0, stderr: "" });
      const { windows } = JSON.parse(result.stdout) as { windows: { start: number; end: number; total: number; final: boolean; incomplete: boolean; counts: Record<string, number> }[] };
      expect(windows.map((w) => ({ start: w.start, end: w.end, incomplete: w.incomplete, counts: w.counts }))).toEqual(
        expected.map(([start, sums]) => ({ start, end: start + span, incomplete: start === (level === "1h" ? firstHour : firstDay), counts: Object.fromEntries(sums) })),
      );
      // The run stopped 2.5 minutes into hour 0 of the next day: that hour and that day are
      // still open to late events, the ones before are final.
      expect(windows.map((w) => w.final)).toEqual(level === "1h" ? [true, true, false] : [true, false]);
    }
    const top = await runWikistream(["top", ...query, "--resolution", "1h", "--json"]);
    expect(top.code).toBe(0);
    expect((JSON.parse(top.stdout) as { windows: { start: number }[] }).windows.map((w) => w.start)).toEqual([...sumPeriods(reference, HOUR_S).keys()].sort((a, b) => a - b));
    const table = await runWikistream(["top", ...query, "--resolution", "1d"], { env: { COLUMNS: "100" } });
    expect(table.stdout).toStartWith(`newest day ${new Date((firstDay + DAY_S) * 1000).toISOString().slice(0, 10)} 00:00:00 – `);
    expect(table.stdout).toContain("last 2 days");
  });

  test("a key of another type among those a rollup is rebuilt from: refused before anything is written, exit 1 naming it", async () => {
    const prefix = "roll-bad:";
    // The hour's first window, before --since: never written by the run, but summed into its hour.
    const hour = Math.floor(sinceMs / 1000 / HOUR_S) * HOUR_S;
    await redis.client.set(`${prefix}${hour}`, "not a window");
    const before = await dumpAllDatabases(redis);
    const server = startFixtureServer({ events: stream.events });
    try {
      const result = await runWikistream(args(server.url, prefix), { timeoutMs: 60_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: Redis key '${prefix}${hour}' holds a string, which wikistream did not write: delete it or choose another --prefix (nothing was written)`);
    } finally {
      await server.stop();
    }
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test("--resolution on a prefix without rollups says how to keep them", async () => {
    const prefix = "no-roll:";
    await redis.client.zadd(`${prefix}epochs`, 1_700_000_000, "1700000000");
    await redis.client.hset(`${prefix}layout`, "window_ms", "30000", "layout", "2");
    const result = await runWikistream(["read", "--redis-url", redis.url, "--prefix", prefix, "--resolution", "1h", "--from", "0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: there are no 1h rollups under prefix '${prefix}' in ${redis.url}: the counting run keeps them when given --rollup 1h; without it, read the windows (leave out --resolution)\n`,
    );
    const bad = await runWikistream(["top", "--redis-url", redis.url, "--resolution", "1w"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--resolution '1w' is not a resolution: use window, 1h or 1d");
  });
});
