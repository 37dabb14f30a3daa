/**
 * Count by any field, several views in one exact write (issue 19 items 1-3): the compiled binary
 * against a real redis-server and the fixture SSE server; every view must equal an independent
 * count of the stream (tests/support/corpus.ts, JSON.parse and a plain pick), also after SIGKILLs.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis, type Reference } from "../../support/corpus.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked } from "../../support/process.ts";
import { dumpAllDatabases, dumpWindows, readCheckpointId, waitForNewCheckpoint } from "../../support/redis.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const WINDOW_MS = 10_000;
const LATENESS_MS = 20_000;
const { stream, sinceMs, untilMs, reference, referenceBy } = createReplayScenario({ cycles: 2, windowMs: WINDOW_MS, latenessMs: LATENESS_MS, untilIntoLastCycleMs: 100_000 });
const VIEWS = ["server_name", "type", "server_name,bot", "server_name,title"];
const byArgs = VIEWS.flatMap((view) => ["--by", view]);
const fast = shareFixtureServer({ events: stream.events });
const redis = shareRedis();
const replay = (url: string, prefix: string, extra: string[] = []) => [
  "--url", url, "--redis-url", redis.url, "--prefix", prefix, "--window", "10s", "--lateness", "20s",
  "--since", String(sinceMs), "--until", String(untilMs), "--retain", "0", ...extra,
];
const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

afterEach(killStrayRuns);

/** What Redis must hold for every view: the main one as ever, each further one's windows under `{prefix}by:{LIST}:`. */
function expectedContent(prefix: string): Record<string, unknown> {
  const out = formatReferenceAsRedis(reference, prefix);
  for (const view of VIEWS.slice(1)) {
    const base = `${prefix}by:${view}:`;
    for (const [key, value] of Object.entries(formatReferenceAsRedis(referenceBy(view), base))) if (/:\d+$/.test(key)) out[key] = value;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The reference of a view as `read --json`'s windows would carry its counts: start → member → count. */
function countsByStart(ref: Reference): Record<string, Record<string, number>> {
  return Object.fromEntries([...ref].map(([start, counts]) => [String(start), Object.fromEntries(counts)]));
}

describe("--by: views of the same stream", () => {
  test("the views are not trivial (sanity of the test itself): titles split wikis, types are several, bots both ways", () => {
    const byType = referenceBy("type");
    const types = new Set([...byType.values()].flatMap((counts) => [...counts.keys()]));
    expect(types.size).toBeGreaterThan(2);
    const bots = new Set([...referenceBy("server_name,bot").values()].flatMap((counts) => [...counts.keys()].map((m) => m.split("|")[1])));
    expect([...bots].sort()).toEqual(["false", "true"]);
    const titles = [...referenceBy("server_name,title").values()].reduce((n, counts) => n + counts.size, 0);
    expect(titles).toBeGreaterThan([...reference.values()].reduce((n, counts) => n + counts.size, 0) * 2);
  });

  test("four views, three SIGKILLs and a finish: every view equals the independent count, the main one stored as ever", async () => {
    const prefix = "views4:";
    const paced = startFixtureServer({ events: stream.events, ratePerSec: 800, chunkEvents: 25 });
    try {
      for (let k = 0; k < 3; k++) {
        const saved = await readCheckpointId(redis, prefix);
        const run = spawnTracked(replay(paced.url, prefix, ["--quiet", ...byArgs]));
        await waitForNewCheckpoint(redis, prefix, saved);
        await Bun.sleep(100 + 150 * k);
        expect(run.proc.exitCode).toBeNull();
        run.proc.kill("SIGKILL");
        await run.done;
        expect(run.proc.signalCode).toBe("SIGKILL");
      }
    } finally {
      await paced.stop();
    }
    const last = await runWikistream(replay(fast.url, prefix, ["--quiet", ...byArgs]), { timeoutMs: 30_000 });
    expect(last.stderr).toBe("");
    expect(last.code).toBe(0);
    expect(await dumpWindows(redis, prefix)).toEqual(expectedContent(prefix));
    expect(await redis.client.hget(`${prefix}layout`, "views")).toBe(VIEWS.join(";"));
  }, 120_000);

  test("read --by type --json and top --by type --json equal what Redis holds; --by of a view the prefix lacks lists those it has", async () => {
    const prefix = "viewsread:";
    const run = await runWikistream(replay(fast.url, prefix, ["--quiet", "--by", "server_name", "--by", "type"]));
    expect(run.code).toBe(0);
    const connection = ["--redis-url", redis.url, "--prefix", prefix];
    const read = await runWikistream(["read", ...connection, "--by", "type", "--from", String(sinceMs / 1000), "--to", String(untilMs / 1000), "--json"]);
    expect(read.code).toBe(0);
    const windows = (JSON.parse(read.stdout) as { windows: { start: number; counts: Record<string, number> }[] }).windows;
    const fromRedis: Record<string, Record<string, number>> = {};
    for (const window of windows) {
      const flat = await redis.client.zrange(`${prefix}by:type:${window.start}`, 0, -1, "WITHSCORES");
      const counts: Record<string, number> = {};
      for (let i = 0; i < flat.length; i += 2) counts[flat[i] ?? ""] = Number(flat[i + 1]);
      fromRedis[String(window.start)] = counts;
    }
    const printed = Object.fromEntries(windows.map((w) => [String(w.start), w.counts]));
    expect(printed).toEqual(fromRedis);
    const nonEmpty = Object.fromEntries(Object.entries(printed).filter(([, counts]) => Object.keys(counts).length > 0));
    expect(nonEmpty).toEqual(countsByStart(referenceBy("type")));

    const top = await runWikistream(["top", ...connection, "--by", "type", "--windows", "5", "--json"]);
    expect(top.code).toBe(0);
    const topWindows = (JSON.parse(top.stdout) as { windows: { start: number; counts: Record<string, number> }[] }).windows;
    expect(topWindows.length).toBe(5);
    for (const window of topWindows) expect(window.counts).toEqual(fromRedis[String(window.start)] ?? {});

    const missing = await runWikistream(["read", ...connection, "--by", "user", "--from", String(sinceMs / 1000)]);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual([
      `error: prefix '${prefix}' has no view by user: its views are --by server_name --by type (give --by one of them)`,
    ]);
  });

  test("--feed: each further view adds a by:LIST field to the window's entry, equal to its sorted set", async () => {
    const prefix = "viewsfeed:";
    expect((await runWikistream(replay(fast.url, prefix, ["--quiet", "--feed", "--by", "server_name", "--by", "type"]))).code).toBe(0);
    const entries = await redis.client.xrange(`${prefix}feed`, "-", "+");
    expect(entries.length).toBeGreaterThan(20);
    for (const [, flat] of entries) {
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] ?? "", flat[i + 1] ?? "");
      const stored = await redis.client.zrange(`${prefix}by:type:${fields.get("start")}`, 0, -1, "WITHSCORES");
      const counts: Record<string, number> = {};
      for (let i = 0; i < stored.length; i += 2) counts[stored[i] ?? ""] = Number(stored[i + 1]);
      expect(JSON.parse(fields.get("by:type") ?? "null")).toEqual(counts);
      expect([...fields.keys()]).toEqual(["start", "end", "total", "incomplete", "counts", "by:type"]);
    }
  });

  test("another set of views on a prefix is refused, exit 2 naming the prefix, its views and another --prefix; nothing written anywhere", async () => {
    const prefix = "viewsset:";
    expect((await runWikistream(replay(fast.url, prefix, ["--quiet", "--by", "server_name", "--by", "type"]))).code).toBe(0);
    const before = await dumpAllDatabases(redis);
    for (const extra of [["--by", "type"], ["--by", "server_name"], [], ["--by", "server_name", "--by", "type", "--by", "bot"], ["--by", "type", "--by", "server_name", "--no-resume"]]) {
      const result = await runWikistream(replay(fast.url, prefix, extra));
      expect(result.code).toBe(2);
      const asked = extra.filter((_, i) => extra[i - 1] === "--by");
      const flags = (asked.length === 0 ? ["server_name"] : asked).map((view) => `--by ${view}`).join(" ");
      expect(lines(result.stderr)).toEqual([
        `error: prefix '${prefix}' holds the views --by server_name --by type, and this run counts ${flags}: a prefix keeps one set of views (nothing was written). Run with --by server_name --by type, or give these views their own --prefix`,
      ]);
    }
    expect(await dumpAllDatabases(redis)).toEqual(before);
  });

  test("a 0.2.0 prefix (a layout without views) keeps working with no flag, and refuses another view", async () => {
    const prefix = "views020:";
    await redis.client.hset(`${prefix}layout`, { window_ms: "10000", layout: "2", created_ms: "1" });
    const before = await dumpAllDatabases(redis);
    const refused = await runWikistream(replay(fast.url, prefix, ["--by", "type"]));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`prefix '${prefix}' holds the views --by server_name, and this run counts --by type`);
    expect(await dumpAllDatabases(redis)).toEqual(before);
    const accepted = await runWikistream(replay(fast.url, prefix, ["--quiet"]));
    expect(accepted.code).toBe(0);
    expect(await redis.client.hgetall(`${prefix}layout`)).toEqual({ window_ms: "10000", layout: "2", created_ms: "1" });
    expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
  });

  test("an unknown field is exit 2 listing the fields; WIKISTREAM_BY takes lists split by ';'", async () => {
    const unknown = await runWikistream(["--url", fast.url, "--by", "server_name,lang"]);
    expect(unknown.code).toBe(2);
    expect(lines(unknown.stderr)).toEqual([
      "error: --by 'lang' is not a field to count by: use server_name, wiki, type, bot, namespace, title, user, log_type (several joined by commas) (see wikistream --help)",
    ]);
    const env = await runWikistream(["--url", fast.url, "--since", String(sinceMs), "--until", String(untilMs), "--window", "10s", "--lateness", "20s", "--format", "jsonl"], {
      env: { WIKISTREAM_BY: "type;server_name,bot" },
    });
    expect(env.code).toBe(0);
    const printed = lines(env.stdout).map((line) => JSON.parse(line) as { start: number; total: number; counts: Record<string, number>; views: Record<string, Record<string, number>> });
    const byStart = (by: string) => Object.fromEntries(printed.filter((w) => w.total > 0).map((w) => [String(w.start), w.views[by]]));
    expect(byStart("type")).toEqual(countsByStart(referenceBy("type")));
    expect(byStart("server_name,bot")).toEqual(countsByStart(referenceBy("server_name,bot")));
    expect(printed.every((w) => JSON.stringify(w.counts) === JSON.stringify(w.views.type))).toBe(true);
  });
});
