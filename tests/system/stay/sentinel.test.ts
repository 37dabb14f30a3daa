/**
 * Redis Sentinel (issue 10, item 1): a run against `redis+sentinel://…/mymaster` goes on after
 * a failover, a graceful one (SENTINEL FAILOVER) and the SIGKILL of the master, and the final
 * content equals the independent count of the data cell by cell. One topology (a master, a
 * replica, three sentinels) serves every case of this file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, waitFor } from "../../support/process.ts";
import { dumpWindows, type TestRedis } from "../../support/redis.ts";
import { runRedisCli, startSentinelTopology, type SentinelTopology } from "../../support/topology.ts";

setDefaultTimeout(60_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 3, untilIntoLastCycleMs: 95_000 });
let topology: SentinelTopology;

beforeAll(async () => {
  topology = await startSentinelTopology();
});

afterAll(async () => {
  await topology.stop();
});

afterEach(killStrayRuns);

/** The data node that is master now, as the sentinels say. */
function currentMaster(): TestRedis {
  const port = topology.masterPort();
  const node = topology.nodes.find((n) => n.port === port);
  if (!node) throw new Error(`no node on port ${port}`);
  return node;
}

/** Runs a paced replay into the topology under `prefix`, calling `disturb` once it has written; returns the run's result. */
async function replayWith(prefix: string, disturb: (server: FixtureServer) => Promise<void>) {
  const server = startFixtureServer({ events: stream.events, ratePerSec: 2000, chunkEvents: 20 });
  try {
    const run = spawnTracked(["--url", server.url, "--redis-url", topology.url, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs)]);
    await waitFor(async () => (await currentMaster().client.hget(`${prefix}checkpoint`, "seq")) !== null, 20_000, "a first write");
    await disturb(server);
    return await run.done;
  } finally {
    await server.stop();
  }
}

describe("redis+sentinel://", () => {
  test("an uninterrupted run through the sentinels writes to the master, exactly", async () => {
    const result = await runWikistream(["--url", startFixtureServerOnce().url, "--redis-url", topology.url, "--prefix", "plain:", "--since", String(sinceMs), "--until", String(untilMs)]);
    expect(result.code).toBe(0);
    expect(await dumpWindows(currentMaster(), "plain:")).toEqual(formatReferenceAsRedis(reference, "plain:"));
  });

  test("SENTINEL FAILOVER mid-run: the run follows the new master, and the content is exact", async () => {
    const before = topology.masterPort();
    const result = await replayWith("graceful:", async () => {
      expect(runRedisCli(topology.sentinelPorts[0] ?? 0, ["SENTINEL", "FAILOVER", topology.masterName]).out).toContain("OK");
      await waitFor(() => topology.masterPort() !== before, 20_000, "a new master");
    });
    expect(result.code).toBe(0);
    expect(topology.masterPort()).not.toBe(before);
    expect(await dumpWindows(currentMaster(), "graceful:")).toEqual(formatReferenceAsRedis(reference, "graceful:"));
    await topology.waitReady();
  });

  test("the master SIGKILLed mid-run: the sentinels promote the replica, the run starts again from the checkpoint it holds, and the content is exact", async () => {
    const old = currentMaster();
    const result = await replayWith("killed:", async () => {
      await old.kill();
      await waitFor(() => topology.masterPort() !== old.port, 30_000, "the sentinels to promote the replica");
    });
    expect(result.code).toBe(0);
    expect(await dumpWindows(currentMaster(), "killed:")).toEqual(formatReferenceAsRedis(reference, "killed:"));
    // The old master comes back (empty: no persistence) and the sentinels make it a replica.
    await old.start();
    await topology.waitReady();
  });
});

let once: FixtureServer | undefined;
/** A full-speed server for the uninterrupted case, stopped with the file. */
function startFixtureServerOnce(): FixtureServer {
  once ??= startFixtureServer({ events: stream.events });
  return once;
}

afterAll(async () => {
  await once?.stop();
});
