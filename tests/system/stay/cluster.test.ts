/**
 * Redis Cluster (issue 10, item 2): every key of a prefix shares a hash tag, so each write is
 * one script on one node; a replica promoted mid-run (CLUSTER FAILOVER), the scripts flushed
 * mid-run (SCRIPT FLUSH) and the prefix's slot moved to another master mid-run (ASK, then
 * MOVED) leave the final content equal to the independent count of the data. One 3-master, 3-replica cluster serves every case.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, terminate, waitFor } from "../../support/process.ts";
import { listExpectedFeed, readFeed } from "../../support/feed.ts";
import { dumpWindows, readPrefix } from "../../support/redis.ts";
import { runRedisCli, startClusterTopology, type ClusterTopology } from "../../support/topology.ts";

setDefaultTimeout(60_000);

const { stream, sinceMs, untilMs, reference, referenceBy } = createReplayScenario({ cycles: 3, untilIntoLastCycleMs: 95_000 });
/** Two views (--by), the second stored under `{prefix}by:type:`, inside the prefix's hash tag. */
const TWO_VIEWS = ["--by", "server_name", "--by", "type"];

/** What two views leave: the main view as ever, and the type view's windows. */
function expectTwoViews(prefix: string): Record<string, unknown> {
  const out = formatReferenceAsRedis(reference, prefix);
  for (const [key, value] of Object.entries(formatReferenceAsRedis(referenceBy("type"), `${prefix}by:type:`))) if (/:\d+$/.test(key)) out[key] = value;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
let cluster: ClusterTopology;
let fast: FixtureServer;

beforeAll(async () => {
  cluster = await startClusterTopology();
  fast = startFixtureServer({ events: stream.events });
});

afterAll(async () => {
  await fast.stop();
  await cluster.stop();
});

afterEach(killStrayRuns);

/** What the prefix holds, read on the master that serves its hash tag now. */
async function dumpPrefixWindows(prefix: string): Promise<Record<string, unknown>> {
  const client = new Redis({ port: cluster.masterOf(`${prefix}x`) ?? 0, host: "127.0.0.1", lazyConnect: true });
  try {
    return await dumpWindows({ dump: (p = "") => readPrefix(client, p) }, prefix);
  } finally {
    client.disconnect();
  }
}

const replayArgs = (url: string, extra: string[] = []) => ["--url", url, "--redis-url", cluster.url, "--since", String(sinceMs), "--until", String(untilMs), ...extra];

/** Runs a paced replay under `prefix`, calling `disturb` once the run has written; returns its result. */
async function replayWith(prefix: string, disturb: () => Promise<void>, extra: string[] = []) {
  const server = startFixtureServer({ events: stream.events, ratePerSec: 2000, chunkEvents: 20 });
  const owner = new Redis({ port: cluster.ownersOf(`${prefix}x`).master, host: "127.0.0.1", lazyConnect: true });
  try {
    const run = spawnTracked(replayArgs(server.url, ["--prefix", prefix, ...extra]));
    await waitFor(async () => (await owner.hget(`${prefix}checkpoint`, "seq").catch(() => null)) !== null, 20_000, "a first write");
    await disturb();
    return await run.done;
  } finally {
    owner.disconnect();
    await server.stop();
  }
}

/** Moves the slot of `key` to another master the way `redis-cli --cluster reshard` does, key by key. */
async function migrateSlot(key: string): Promise<void> {
  const from = cluster.ownersOf(key).master;
  const masters = cluster.ports.filter((p) => runRedisCli(p, ["ROLE"]).out.startsWith("master"));
  const to = masters.find((p) => p !== from) ?? 0;
  const slot = runRedisCli(from, ["CLUSTER", "KEYSLOT", key]).out.trim();
  const idOf = (port: number) => runRedisCli(port, ["CLUSTER", "MYID"]).out.trim();
  runRedisCli(to, ["CLUSTER", "SETSLOT", slot, "IMPORTING", idOf(from)]);
  runRedisCli(from, ["CLUSTER", "SETSLOT", slot, "MIGRATING", idOf(to)]);
  for (;;) {
    const keys = runRedisCli(from, ["CLUSTER", "GETKEYSINSLOT", slot, "20"]).out.trim().split("\n").filter(Boolean);
    if (keys.length === 0) break;
    runRedisCli(from, ["MIGRATE", "127.0.0.1", String(to), "", "0", "5000", "KEYS", ...keys]);
    // Key by key, slowly enough that writes meet a slot half moved (ASK, TRYAGAIN).
    await Bun.sleep(20);
  }
  for (const port of masters) runRedisCli(port, ["CLUSTER", "SETSLOT", slot, "NODE", idOf(to)]);
  await waitFor(() => cluster.masterOf(key) === to, 10_000, "the slot on its new master");
}

describe("redis+cluster://", () => {
  test("without --prefix the keys share the hash tag {wikistream}, and the content is exact, in both views", async () => {
    const result = await runWikistream(replayArgs(fast.url, TWO_VIEWS));
    expect(result.code).toBe(0);
    expect(await dumpPrefixWindows("{wikistream}:")).toEqual(expectTwoViews("{wikistream}:"));
  });

  test.each([
    [["--prefix", "plain:"], "--prefix 'plain:' has no hash tag: in a Redis Cluster all keys of a prefix must share one slot; use --prefix '{plain}:'"],
    [["--prefix", "wikistream:"], "use --prefix '{wikistream}:'"],
  ])("%p is refused with the fix, exit 2", async (extra, message) => {
    const result = await runWikistream(replayArgs(fast.url, extra));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });

  test("a database in a Cluster URL is refused, exit 2", async () => {
    const result = await runWikistream(["--redis-url", `${cluster.url}/3`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("a Redis Cluster has only database 0");
  });

  test("CLUSTER FAILOVER of the prefix's master mid-run: the run follows the promoted replica, and the content is exact in both views", async () => {
    const prefix = "{fo}:";
    const before = cluster.ownersOf(`${prefix}x`);
    const result = await replayWith(prefix, async () => {
      expect(runRedisCli(before.replica, ["CLUSTER", "FAILOVER"]).out).toContain("OK");
      await waitFor(() => cluster.masterOf(`${prefix}x`) === before.replica, 20_000, "the replica promoted");
    }, TWO_VIEWS);
    expect(result.code).toBe(0);
    expect(await dumpPrefixWindows(prefix)).toEqual(expectTwoViews(prefix));
    await cluster.waitReady();
  });

  test("SCRIPT FLUSH on every node mid-run, three times, with two views: the scripts are sent again on the prefix's node, and the content is exact in both views", async () => {
    const prefix = "{fl}:";
    const master = cluster.ownersOf(`${prefix}x`).master;
    const noscripts = () => Number(/^errorstat_NOSCRIPT:count=(\d+)/m.exec(runRedisCli(master, ["INFO", "errorstats"]).out)?.[1] ?? 0);
    const seq = () => runRedisCli(master, ["HGET", `${prefix}checkpoint`, "seq"]).out.trim();
    const before = noscripts();
    const result = await replayWith(prefix, async () => {
      for (let flush = 1; flush <= 3; flush++) {
        const seen = seq();
        for (const port of cluster.ports) runRedisCli(port, ["SCRIPT", "FLUSH"]);
        await waitFor(() => noscripts() >= before + flush && seq() !== seen, 20_000, `a write after flush ${flush}`);
      }
    }, TWO_VIEWS);
    expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await dumpPrefixWindows(prefix)).toEqual(expectTwoViews(prefix));
  });

  test("the prefix's slot moved to another master mid-run (ASK while it moves, MOVED after) with --feed: the content is exact, and the feed, under the hash tag, holds each window once", async () => {
    const prefix = "{mv}:";
    const result = await replayWith(prefix, () => migrateSlot(`${prefix}x`), ["--feed"]);
    expect(result.code).toBe(0);
    const dump = await dumpPrefixWindows(prefix);
    expect(dump[`${prefix}feed`]).toBe("stream");
    delete dump[`${prefix}feed`];
    expect(dump).toEqual(formatReferenceAsRedis(reference, prefix));
    // The feed moved with the slot: it is on the master that holds the prefix's windows now.
    const owner = new Redis({ port: cluster.masterOf(`${prefix}x`) ?? 0, host: "127.0.0.1", lazyConnect: true });
    let starts: number[];
    try {
      const feed = await readFeed(owner, `${prefix}feed`);
      expect(feed.length).toBeGreaterThan(20);
      expect(feed).toEqual(await listExpectedFeed(owner, prefix, 30_000, reference.incomplete, feed));
      starts = feed.map((entry) => Number(entry.fields.start));
    } finally {
      owner.disconnect();
    }
    // tail reads it through the Cluster.
    const tail = spawnTracked(["tail", "--redis-url", cluster.url, "--prefix", prefix, "--json", "--from", String(sinceMs)]);
    await waitFor(() => tail.stdout().split("\n").filter(Boolean).length >= starts.length, 20_000, "tail to print through the Cluster");
    const printed = (await terminate(tail)).stdout.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { start: number }).start);
    expect(printed).toEqual(starts);
  });

  test("the slot moved mid-run with --rollup 1h,1d and two views: every key a write touches is declared, so the windows and each hour and day are exact in both views", async () => {
    const prefix = "{mvr}:";
    const result = await replayWith(prefix, () => migrateSlot(`${prefix}x`), ["--rollup", "1h,1d", ...TWO_VIEWS]);
    expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
    const dump = await dumpPrefixWindows(prefix);
    const windowsOnly = Object.fromEntries(Object.entries(dump).filter(([key]) => !/:(1h|1d):/.test(key)));
    expect(windowsOnly).toEqual(expectTwoViews(prefix));
    // Each rollup equals the sum of the level below over its period, read from the same dump.
    const sumKeys = (keys: string[]) => {
      const sums = new Map<string, number>();
      for (const key of keys) {
        const flat = dump[key] as string[];
        for (let i = 0; i + 1 < flat.length; i += 2) sums.set(flat[i] ?? "", (sums.get(flat[i] ?? "") ?? 0) + Number(flat[i + 1]));
      }
      return Object.fromEntries([...sums].sort());
    };
    const startsOf = (pattern: RegExp) => Object.keys(dump).flatMap((key) => (pattern.test(key) ? [[key, Number(key.split(":").pop())] as const] : []));
    const levels = ["{mvr}:", "{mvr}:by:type:"].flatMap((base) => {
      const quoted = base.replace(/[{}]/g, "\\$&");
      return [
        { level: new RegExp(`^${quoted}1h:\\d+$`), span: 3600, below: new RegExp(`^${quoted}\\d+$`) },
        { level: new RegExp(`^${quoted}1d:\\d+$`), span: 86_400, below: new RegExp(`^${quoted}1h:\\d+$`) },
      ];
    });
    for (const { level, span, below } of levels) {
      const periods = startsOf(level);
      expect(periods.length).toBeGreaterThan(0);
      for (const [key, start] of periods) {
        const parts = startsOf(below).filter(([, s]) => s >= start && s < start + span).map(([k]) => k);
        expect({ key, sums: sumKeys([key]) }).toEqual({ key, sums: sumKeys(parts) });
      }
    }
  });
});
