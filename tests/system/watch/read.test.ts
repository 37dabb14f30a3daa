/**
 * `wikistream read` (issue 9, item 5) against the compiled binary and a real redis-server that a
 * replay filled: --csv and --json over a range equal the windows Redis holds in it (read here
 * with plain commands), quiet windows included; --server keeps what matches; an empty range is
 * said on stderr; nothing is ever written.
 */
import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { killStrayRuns, runWikistream } from "../../support/process.ts";
import { rmSync } from "node:fs";
import { createTlsFiles, dumpAllDatabases, readInfoNumber, startRedis, type TestRedis, type TlsFiles } from "../../support/redis.ts";
import { startClusterTopology, startSentinelTopology } from "../../support/topology.ts";
import { createQueryScenario, readStored, toCsvRows, type StoredWindow } from "./stored.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";

setDefaultTimeout(30_000);

const scenario = createQueryScenario();
const PREFIX = "r:";
const server = shareFixtureServer({ events: scenario.stream.events });
const redis = shareRedis();
let stored: StoredWindow[];

beforeAll(async () => {
  const fill = await runWikistream(scenario.args(server.url, redis.url, PREFIX));
  if (fill.code !== 0) throw new Error(`the replay failed: ${fill.stderr}`);
  stored = await readStored(redis.client, PREFIX);
});
afterEach(killStrayRuns);

const read = (...args: string[]) => runWikistream(["read", "--redis-url", redis.url, "--prefix", PREFIX, ...args]);
/** The windows that start in [fromS, toS). */
const between = (fromS: number, toS: number) => stored.filter((w) => w.start >= fromS && w.start < toS);
const at = (i: number) => (stored.at(i) as StoredWindow).start;

describe("read prints what Redis holds in the range", () => {
  test("the replay left a quiet window (listed, no key) and an incomplete one", () => {
    expect(stored.some((w) => w.total === 0 && Object.keys(w.counts).length === 0)).toBe(true);
    expect(stored[0]?.incomplete).toBe(true);
  });

  test.each([
    ["every window", () => [at(0), at(-1) + 30]],
    ["from a window start to another (the second excluded)", () => [at(2), at(6)]],
    ["from mid-window: that window is left out", () => [at(2) + 1, at(6) + 1]],
    ["around the quiet window", () => [stored.find((w) => w.total === 0)?.start ?? 0, (stored.find((w) => w.total === 0)?.start ?? 0) + 60]],
  ])("--csv, %s: a row per wiki per window, a quiet window as one row with count 0", async (_, range) => {
    const [fromS, toS] = range() as [number, number];
    const result = await read("--csv", "--from", String(fromS), "--to", String(toS));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.trimEnd().split("\n")).toEqual(toCsvRows(between(fromS, toS)));
  });

  test("--json over a range equals the windows in it; times as ISO 8601 or Unix milliseconds", async () => {
    const [fromS, toS] = [at(1), at(-2)];
    const iso = await read("--json", "--from", new Date(fromS * 1000).toISOString(), "--to", new Date(toS * 1000).toISOString());
    expect(iso.code).toBe(0);
    expect(JSON.parse(iso.stdout)).toEqual({ windows: between(fromS, toS) });
    const ms = await read("--json", "--from", String(fromS * 1000), "--to", String(toS * 1000));
    expect(ms.stdout).toBe(iso.stdout);
  });

  test("--to defaults to now", async () => {
    const result = await read("--json", "--from", String(at(0)));
    expect(JSON.parse(result.stdout)).toEqual({ windows: stored });
  });

  test("--server keeps the matching wikis and recounts the totals; a window where none matches stays, empty", async () => {
    const result = await read("--json", "--from", String(at(0)), "--server", "*.wikipedia.org", "--server", "WWW.WIKIDATA.ORG");
    const keep = (name: string) => name.endsWith(".wikipedia.org") || name === "www.wikidata.org";
    const expected = stored.map((w) => {
      const counts = Object.fromEntries(Object.entries(w.counts).filter(([name]) => keep(name)));
      return { ...w, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
    });
    expect(JSON.parse(result.stdout)).toEqual({ windows: expected });
    const none = await read("--csv", "--from", String(at(0)), "--to", String(at(1)), "--server", "no.such.wiki");
    expect(none.stdout.trimEnd().split("\n")).toEqual(toCsvRows([{ ...(stored[0] as StoredWindow), counts: {}, total: 0 }]));
  });

  test("text: a line per window with its span, total and busiest wikis, the incomplete one marked", async () => {
    const result = await read("--from", String(at(0)));
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(stored.length);
    stored.forEach((w, i) => {
      const line = lines[i] ?? "";
      expect(line.startsWith(new Date(w.start * 1000).toISOString().replace("T", " ").slice(0, 19))).toBe(true);
      const [busiest, n] = Object.entries(w.counts)[0] ?? [];
      if (w.total === 0) expect(line).toContain("no changes");
      else expect(line).toContain(`${w.total} change`);
      if (busiest !== undefined) expect(line).toContain(`: ${busiest} ${n}`);
      expect(line.includes("(incomplete: misses events)")).toBe(w.incomplete);
    });
  });
});

describe("read says what it found and what is wrong", () => {
  test("a range with no window: exit 0, the CSV header only, one line on stderr with the prefix's span", async () => {
    const result = await read("--csv", "--from", "2020-01-01", "--to", "2020-01-02");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("start,end,server_name,count,incomplete,final\n");
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining(`no window starts in [2020-01-01T00:00:00Z (1577836800), 2020-01-02T00:00:00Z (1577923200)); prefix 'r:' holds ${stored.length} windows`)]);
  });

  test("a prefix with no windows: exit 1, one line", async () => {
    const result = await runWikistream(["read", "--redis-url", redis.url, "--prefix", "wrong:", "--from", "2020-01-01"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("there are no windows under prefix 'wrong:'")]);
  });

  test.each([
    [["--from", "2021-10-08"], [], "give --redis-url URL, or set REDIS_URL"],
    [[], ["--redis-url"], "wikistream read needs --from TIME"],
    [["--from", "2021-10-09", "--to", "2021-10-08"], ["--redis-url"], "--to must be later than --from"],
    [["--from", "yesterday"], ["--redis-url"], "--from 'yesterday' is not a time"],
    [["--from", "2021-10-08", "--csv", "--json"], ["--redis-url"], "--json and --csv exclude each other"],
    [["--from", "2021-10-08", "--redis-ca", "/nonexistent"], ["--redis-url"], "--redis-ca needs a rediss:// --redis-url"],
  ])("%p: exit 2, one line", async (args, withUrl, message) => {
    const url = withUrl.length > 0 ? ["--redis-url", redis.url] : [];
    const result = await runWikistream(["read", ...url, ...(args as string[])]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(message as string);
  });
});

describe("read over a long range", () => {
  test("1234 windows come out whole and in order, read a page at a time (the reader pages by 500)", async () => {
    const prefix = "long:";
    const first = 1_700_000_010;
    const starts = Array.from({ length: 1234 }, (_, i) => first + 10 * i);
    await redis.client.hset(`${prefix}layout`, "window_ms", "10000", "layout", "2");
    await redis.client.zadd(`${prefix}epochs`, ...starts.flatMap((s) => [s, String(s)]));
    // A window with counts in each page, the rest quiet.
    for (const s of [starts[0], starts[600], starts[1233]]) await redis.client.zadd(`${prefix}${s}`, 3, "en.wikipedia.org");
    const result = await runWikistream(["read", "--redis-url", redis.url, "--prefix", prefix, "--from", String(first), "--csv"]);
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split("\n").slice(1);
    expect(rows.map((row) => Number(row.split(",")[0]))).toEqual(starts);
    expect(rows.filter((row) => row.includes(",en.wikipedia.org,3,"))).toHaveLength(3);
    const json = await runWikistream(["read", "--redis-url", redis.url, "--prefix", prefix, "--from", String(first), "--json"]);
    expect((JSON.parse(json.stdout) as { windows: { start: number }[] }).windows.map((w) => w.start)).toEqual(starts);
  });
});

describe("read only reads", () => {
  test("--csv, --json and text change nothing in any database, not even a counter of writes", async () => {
    const before = await dumpAllDatabases(redis);
    const dirty = await readInfoNumber(redis, "rdb_changes_since_last_save");
    for (const format of [["--csv"], ["--json"], []]) expect((await read(...format, "--from", String(at(0)))).code).toBe(0);
    expect((await read("--from", "2020-01-01", "--to", "2020-01-02")).code).toBe(0);
    expect(await dumpAllDatabases(redis)).toEqual(before);
    expect(await readInfoNumber(redis, "rdb_changes_since_last_save")).toBe(dirty);
  });
});

describe("read connects as the counting run does", () => {
  test("a wrong password: exit 1, one line that names no password", async () => {
    const locked = await startRedis(["--requirepass", "right-one"]);
    try {
      const url = locked.url.replace("redis://", "redis://:wrong-one@");
      const result = await runWikistream(["read", "--redis-url", url, "--from", "0"]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("refused the credentials")]);
      expect(result.stderr).not.toContain("wrong-one");
    } finally {
      await locked.stop();
    }
  });

  test("nothing listening: exit 1, one line", async () => {
    const gone = await startRedis();
    await gone.stop();
    const result = await runWikistream(["read", "--redis-url", gone.url, "--from", "0"], { timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining(`cannot reach Redis at ${gone.url}`)]);
  });

  test("rediss:// with --redis-ca reads; with an unrelated CA it fails closed", async () => {
    if (Bun.which("openssl") === null) return console.warn("skipped: openssl is not installed");
    let files: TlsFiles;
    let tls: TestRedis;
    try {
      files = createTlsFiles();
      tls = await startRedis([], { tls: files });
    } catch (error) {
      return console.warn(`skipped: no TLS redis-server here (${String(error)})`);
    }
    try {
      const fill = await runWikistream([...scenario.args(server.url, tls.url, PREFIX), "--redis-ca", files.ca]);
      expect(fill.code).toBe(0);
      const good = await runWikistream(["read", "--redis-url", tls.url, "--redis-ca", files.ca, "--prefix", PREFIX, "--from", "0", "--json"]);
      expect(good.code).toBe(0);
      expect(JSON.parse(good.stdout)).toEqual({ windows: stored });
      const bad = await runWikistream(["read", "--redis-url", tls.url, "--redis-ca", files.otherCa, "--prefix", PREFIX, "--from", "0"], { timeoutMs: 15_000 });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe("");
      expect(bad.stderr.trim().split("\n")).toEqual([expect.stringContaining(`TLS with Redis at ${tls.url} failed`)]);
    } finally {
      await tls.stop();
      rmSync(files.dir, { recursive: true, force: true });
    }
  });
});

describe("windows whose keys expired", () => {
  // Laid out by hand as a writer with --retain leaves them once it has stopped: the windows'
  // keys expired, `epochs` still lists them (only a write trims it).
  const OLD = "old:";
  const starts = [1_600_000_020, 1_600_000_050, 1_600_000_080] as const;
  async function layOut(retainMs: string | undefined) {
    await redis.client.del(...[...starts.map((s) => `${OLD}${s}`), `${OLD}epochs`, `${OLD}layout`, `${OLD}checkpoint`]);
    await redis.client.hset(`${OLD}layout`, { window_ms: "30000", layout: "2" });
    await redis.client.hset(`${OLD}checkpoint`, { final_ms: String(starts[2] * 1000 + 30_000), ...(retainMs === undefined ? {} : { retain_ms: retainMs }) });
    for (const s of starts) await redis.client.zadd(`${OLD}epochs`, s, String(s));
    await redis.client.zadd(`${OLD}${starts[1]}`, 4, "en.wikipedia.org");
  }
  const readOld = async () => JSON.parse((await runWikistream(["read", "--redis-url", redis.url, "--prefix", OLD, "--from", "0", "--json"])).stdout) as { windows: StoredWindow[] };

  test("with the retention recorded (retain_ms), a keyless window past it is not shown as a quiet one", async () => {
    await layOut(String(86_400_000));
    expect((await readOld()).windows.map((w) => [w.start, w.total])).toEqual([[starts[1], 4]]);
  });

  test.each([["no retention recorded", undefined], ["retain_ms 0 (keep)", "0"]])("with %s, a keyless window is a quiet one", async (_, retain) => {
    await layOut(retain);
    expect((await readOld()).windows.map((w) => [w.start, w.total])).toEqual(starts.map((s, i) => [s, i === 1 ? 4 : 0]));
  });
});

describe("read and top follow the writer's topology", () => {
  // The same replay as above, so the same windows; read back through the topology's own URL.
  test("redis+cluster://: the run and the readers default to the prefix {wikistream}:", async () => {
    const cluster = await startClusterTopology();
    try {
      const fill = await runWikistream(scenario.args(server.url, cluster.url, "{wikistream}:").filter((a, i, all) => a !== "--prefix" && all[i - 1] !== "--prefix"));
      expect(fill.code).toBe(0);
      const json = await runWikistream(["read", "--redis-url", cluster.url, "--from", "0", "--json"]);
      expect(json.stderr).toBe("");
      expect(JSON.parse(json.stdout)).toEqual({ windows: stored });
      const top = await runWikistream(["top", "--redis-url", cluster.url, "--json", "--windows", "3"]);
      expect(JSON.parse(top.stdout)).toEqual({ windows: stored.slice(-3) });
      const untagged = await runWikistream(["top", "--redis-url", cluster.url, "--prefix", "plain:"]);
      expect(untagged.code).toBe(2);
      expect(untagged.stderr).toContain("--prefix 'plain:' has no hash tag");
    } finally {
      await cluster.stop();
    }
  }, 90_000);

  test("redis+sentinel://: read finds the master the sentinels name", async () => {
    const topology = await startSentinelTopology();
    try {
      const fill = await runWikistream(scenario.args(server.url, topology.url, PREFIX));
      expect(fill.code).toBe(0);
      const csv = await runWikistream(["read", "--redis-url", topology.url, "--prefix", PREFIX, "--from", "0", "--csv"]);
      expect(csv.stderr).toBe("");
      expect(csv.stdout.trimEnd().split("\n")).toEqual(toCsvRows(stored));
    } finally {
      await topology.stop();
    }
  }, 90_000);
});
