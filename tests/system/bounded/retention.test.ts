/**
 * Retention (issue 13, item 1): window keys expire at their end plus --retain, in event time,
 * set in the same write; `epochs` and `incomplete` are trimmed past it in the same write; a run
 * that would only write windows past their retention is refused, or says so and skips.
 */
import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, resolveBinary, runWikistream, skippedOf, spawnTracked, summaryOf, waitFor } from "../../support/process.ts";
import { dumpAllDatabases } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(120_000);

const WINDOW_S = 1;
/**
 * Long enough that a run on a busy machine starts (its --since is checked against the clock then)
 * and writes its windows, and the test reads them, well before they expire (the first expires
 * RETAIN_S + 1 s after the times are taken); short enough to wait for an expiry.
 */
const RETAIN_S = 30;
const SERVERS = ["en.wikipedia.org", "www.wikidata.org", "commons.wikimedia.org"];

/** Ten events a second from `fromMs` to `toMs`, each with its own meta.id. */
function makeEvents(fromMs: number, toMs: number): string[] {
  const events: string[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += 100, i++) {
    const server = SERVERS[i % SERVERS.length] ?? "";
    events.push(JSON.stringify({ meta: { id: `r-${t}`, domain: server, dt: new Date(t).toISOString() }, timestamp: t / 1000, server_name: server, type: "edit" }));
  }
  return events;
}

const redis = shareRedis();

afterEach(killStrayRuns);
// A (re)build of the binary, or a wait for another worker's, happens here: not between taking
// the times and the run that has to start before they go stale.
beforeAll(() => void resolveBinary());

describe("--retain", () => {
  test("window keys expire at window end + retain (set in the write); epochs and incomplete are trimmed in a later write", async () => {
    // The first run's windows start at the next whole second; the second run's a minute later,
    // so they are far from expiry whenever it runs: no margin depends on the machine's speed.
    const base = Math.ceil((Date.now() + 1000) / 1000) * 1000;
    const later = base + 60_000;
    const server = startFixtureServer({ events: [...makeEvents(base, base + 7000), ...makeEvents(later, later + 7000)] });
    const prefix = "ret:";
    // The second run resumes from the checkpoint: its --since would be older than the retention by then.
    const run = (untilMs: number, since: string[]) =>
      runWikistream(["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, "--window", "1s", "--lateness", "1s", ...since, "--until", String(untilMs), "--retain", `${RETAIN_S}s`], {
        env: { WIKISTREAM_RETAIN: "" },
        timeoutMs: 60_000,
      });
    try {
      expect((await run(base + 5000, ["--since", String(base + 500)])).code).toBe(0);
      const starts = (await redis.client.zrange(`${prefix}epochs`, 0, -1)).map(Number);
      expect(starts).toEqual([0, 1, 2, 3, 4].map((k) => base / 1000 + k));
      for (const start of starts) {
        // PEXPIRETIME: the absolute Unix time in ms at which the key expires.
        expect(Number(await redis.client.call("PEXPIRETIME", `${prefix}${start}`))).toBe((start + WINDOW_S + RETAIN_S) * 1000);
      }
      // An unaligned --since: the first window misses events.
      expect(await redis.client.smembers(`${prefix}incomplete`)).toEqual([String(base / 1000)]);
      // Redis drops the first window's key once its time has come…
      await waitFor(async () => (await redis.client.exists(`${prefix}${base / 1000}`)) === 0, 60_000, "the first window to expire");
      // Still listed in epochs (no write has trimmed it), but `read` does not pass it off as a
      // quiet window: every window here had events, so a total of 0 would be an expired one.
      const read = await runWikistream(["read", "--redis-url", redis.url, "--prefix", prefix, "--from", String(base / 1000), "--json"]);
      const shown = (JSON.parse(read.stdout) as { windows: { start: number; total: number }[] }).windows;
      expect(shown.map((w) => w.start)).not.toContain(base / 1000);
      expect(shown.filter((w) => w.total === 0)).toEqual([]);
      // …and the next run's writes trim the index and the incomplete set alike.
      expect((await run(later + 5000, [])).code).toBe(0);
      const writtenAt = Number(await redis.client.hget(`${prefix}checkpoint`, "updated_ms"));
      const listed = (await redis.client.zrange(`${prefix}epochs`, 0, -1)).map(Number);
      // The windows of the span (the quiet minute between included) that had not expired at the
      // last write: a run of them up to the newest. The write trims by the time it is sent, a
      // moment after the checkpoint's updated_ms, so the cut is checked against that moment.
      const span = [...Array((later + 5000 - base) / 1000).keys()].map((k) => base / 1000 + k);
      const first = listed[0] ?? 0;
      expect(listed).toEqual(span.slice(span.indexOf(first)));
      const expiresMs = (start: number) => (start + WINDOW_S + RETAIN_S) * 1000;
      expect(expiresMs(first)).toBeGreaterThan(writtenAt);
      if (first > base / 1000) expect(expiresMs(first - 1)).toBeLessThanOrEqual(writtenAt + 10_000);
      expect(listed).not.toContain(base / 1000);
      expect(listed).toContain(later / 1000);
      expect(await redis.client.smembers(`${prefix}incomplete`)).toEqual([]);
    } finally {
      await server.stop();
      // Keys left to expire would change the database under the next tests, which compare it
      // before and after a run: they go now, not whenever their time comes.
      const left = await redis.client.keys(`${prefix}*`);
      if (left.length > 0) await redis.client.del(...left);
    }
  });

  test("a --since older than the retention is refused, exit 2 naming --retain 0, and nothing is written anywhere", async () => {
    const before = await dumpAllDatabases(redis);
    const since = new Date(Date.now() - 2 * 3600_000).toISOString();
    const result = await runWikistream(["--url", "http://127.0.0.1:1/", "--redis-url", redis.url, "--prefix", "old:", "--since", since, "--retain", "1h"], { env: { WIKISTREAM_RETAIN: "" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: --since ${since} is older than --retain 1h: its windows would expire as soon as written. Add --retain 0 to keep them (or a longer --retain) (see wikistream --help)\n`,
    );
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test("the default (30d) refuses a replay of 2021 the same way", async () => {
    const result = await runWikistream(["--url", "http://127.0.0.1:1/", "--redis-url", redis.url, "--since", "2021-10-08T22:23:00Z"], { env: { WIKISTREAM_RETAIN: "" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is older than --retain 30d");
  });

  test("events older than the retention in a live stream are skipped as expired, said once", async () => {
    const old = Date.now() - 2 * 3600_000;
    const server = startFixtureServer({ events: makeEvents(old, old + 20_000), atEnd: "hold" });
    try {
      const run = spawnTracked(["--url", server.url, "--redis-url", redis.url, "--prefix", "stale:", "--retain", "1h"], { env: { WIKISTREAM_RETAIN: "" } });
      await waitFor(() => server.sent() === 200 && run.stderr().includes("events older than --retain 1h are skipped"), 15_000, "the expired events");
      run.proc.kill("SIGTERM");
      const result = await run.done;
      expect(result.code).toBe(0);
      expect(result.stderr.split("\n").filter((line) => line.includes("events older than"))).toHaveLength(1);
      expect(summaryOf(result.stderr)).toMatch(/^200 events; 0 counted/);
      expect(skippedOf(summaryOf(result.stderr))).toEqual({ expired: 200 });
      expect(await redis.client.keys("stale:1*")).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
