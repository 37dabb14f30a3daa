/**
 * A fenced hot standby (issue 10, item 3): a second instance with --standby waits for the
 * prefix's lock, takes over when the holder dies or hangs past its lock, and resumes from the
 * checkpoint; a holder that was paused past its lock never writes again. The final content is
 * compared cell by cell with the independent count of the data.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureOptions, type FixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, spawnTracked, waitFor, type WikistreamProcess } from "../../support/process.ts";
import { dumpWindows, startRedis, waitForNewCheckpoint, type TestRedis } from "../../support/redis.ts";

setDefaultTimeout(60_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 3, untilIntoLastCycleMs: 95_000 });
/** A short lock, so takeovers take seconds, not the default 15. */
const LOCK_TTL_MS = 2000;
/**
 * What a busy machine may add to a takeover (the standby's look at the lock, its start-up of the
 * run): the lock's TTL is the property, this only keeps a loaded 2-core laptop green.
 */
const BUSY_SLACK_MS = 5000;

afterEach(killStrayRuns);

async function withReplay<T>(body: (server: FixtureServer, redis: TestRedis) => Promise<T>, hold: Pick<FixtureOptions, "stallAfter" | "holdAt"> = {}): Promise<T> {
  // About 13,000 events at 2000/s: some 6 s of reading, room for a kill and a takeover.
  const server = startFixtureServer({ events: stream.events, ratePerSec: 2000, chunkEvents: 20, ...hold });
  const redis = await startRedis();
  try {
    return await body(server, redis);
  } finally {
    await server.stop();
    await redis.stop();
  }
}

const args = (server: FixtureServer, redis: TestRedis, prefix: string, extra: string[] = []) => [
  "--url",
  server.url,
  "--redis-url",
  redis.url,
  "--prefix",
  prefix,
  "--since",
  String(sinceMs),
  "--until",
  String(untilMs),
  "--lock-ttl",
  `${LOCK_TTL_MS / 1000}s`,
  ...extra,
];

/** Waits until `run` said `text` on stderr; fails with what it printed when it exits first. */
async function waitForLine(run: WikistreamProcess, text: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    () => {
      if (run.stderr().includes(text)) return true;
      if (run.proc.exitCode !== null) throw new Error(`exited (${run.proc.exitCode}) before saying '${text}':\n${run.stderr()}`);
      return false;
    },
    timeoutMs,
    `'${text}'`,
  );
}

describe("--standby", () => {
  test("leader SIGKILLed: the standby takes over at once (the holder is gone), resumes, and the content is exact", async () => {
    await withReplay(async (server, redis) => {
      const prefix = "kill:";
      const leader = spawnTracked(args(server, redis, prefix));
      await waitForNewCheckpoint(redis, prefix, null);
      const standby = spawnTracked(args(server, redis, prefix, ["--standby"]));
      await waitForLine(standby, "standing by: prefix 'kill:' is written by pid");
      const killedAt = Date.now();
      leader.proc.kill("SIGKILL");
      await waitForLine(standby, "took over prefix 'kill:'");
      // At once: it saw the holder gone, rather than waiting for the lock to expire.
      expect(standby.stderr()).toMatch(/took over prefix 'kill:' from .*, which is no longer running/);
      expect(Date.now() - killedAt).toBeLessThan(LOCK_TTL_MS + BUSY_SLACK_MS);
      const result = await standby.done;
      expect(result.code).toBe(0);
      expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
    });
  });

  test("leader SIGSTOPped past its lock: the standby takes over within the lock TTL and a second; the leader, resumed, writes nothing and exits 1 with one line", async () => {
    // The leader's stream stops at a third (its socket open), everyone's waits at two thirds until
    // the old leader is done: both still have windows to come when it wakes, however slow the machine.
    const third = Math.floor(stream.events.length / 3);
    const hold = { stallAfter: third, holdAt: 2 * third };
    await withReplay(async (server, redis) => {
      const prefix = "stop:";
      const leader = spawnTracked(args(server, redis, prefix, ["--idle-timeout", "10m"]));
      await waitForNewCheckpoint(redis, prefix, null);
      const standby = spawnTracked(args(server, redis, prefix, ["--standby", "--idle-timeout", "10m"]));
      await waitForLine(standby, "standing by: prefix 'stop:'");
      leader.proc.kill("SIGSTOP");
      const stoppedAt = Date.now();
      await waitForLine(standby, "took over prefix 'stop:'");
      const tookMs = Date.now() - stoppedAt;
      expect(tookMs).toBeLessThan(LOCK_TTL_MS + BUSY_SLACK_MS);
      // The standby says how long after the holder's last refresh it took over: about one TTL.
      const said = Number(/took over prefix 'stop:' ([\d.]+)s after the last refresh/.exec(standby.stderr())?.[1]);
      expect(said).toBeGreaterThanOrEqual((LOCK_TTL_MS - 300) / 1000);
      expect(said).toBeLessThanOrEqual((LOCK_TTL_MS + BUSY_SLACK_MS) / 1000);
      // Let the standby write a few times, then wake the old leader up.
      const seq = Number(await redis.client.hget(`${prefix}checkpoint`, "seq"));
      await waitFor(async () => Number(await redis.client.hget(`${prefix}checkpoint`, "seq")) > seq + 2, 15_000, "writes by the standby");
      leader.proc.kill("SIGCONT");
      const old = await leader.done;
      expect(standby.proc.exitCode).toBeNull();
      server.release();
      expect(old.code).toBe(1);
      const errors = old.stderr.split("\n").filter((line) => line.startsWith("error:"));
      expect(errors).toEqual([`error: another wikistream took over prefix 'stop:' (our lock expired): stopping so the two cannot mix their windows`]);
      const result = await standby.done;
      expect(result.code).toBe(0);
      // Had the old leader written once after its pause, the standby would have had to start again.
      expect(result.stderr).not.toContain("starting again from the checkpoint");
      expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
    }, hold);
  });

  test("three instances, the leader killed in turn twice: exact", async () => {
    await withReplay(async (server, redis) => {
      const prefix = "three:";
      // The first (no --standby) takes the lock before the standbys start: had a standby won the
      // race, the first would exit 1 at once ("another wikistream is writing"), by design.
      const first = spawnTracked(args(server, redis, prefix));
      await waitFor(async () => ((await redis.client.get(`${prefix}lock`)) ?? "").includes(`"pid":${first.proc.pid}`), 15_000, "the first run's lock");
      const runs = [first, ...[1, 2].map(() => spawnTracked(args(server, redis, prefix, ["--standby"])))];
      const leaderOf = async () => {
        let holder: number | undefined;
        await waitFor(async () => {
          holder = Number(/"pid":(\d+)/.exec((await redis.client.get(`${prefix}lock`)) ?? "")?.[1]);
          // A SIGKILLed run keeps exitCode null (signalCode says how it ended): it is no leader.
          return runs.some((r) => r.proc.pid === holder && r.proc.exitCode === null && r.proc.signalCode === null);
        }, 15_000, "a live leader");
        return runs.find((r) => r.proc.pid === holder);
      };
      const killed = new Set<WikistreamProcess | undefined>();
      for (let kill = 0; kill < 2; kill++) {
        const leader = await leaderOf();
        killed.add(leader);
        const seq = (await redis.client.hget(`${prefix}checkpoint`, "seq")) ?? null;
        await waitForNewCheckpoint(redis, prefix, null);
        await waitFor(async () => (await redis.client.hget(`${prefix}checkpoint`, "seq")) !== seq, 15_000, "a write by the leader");
        leader?.proc.kill("SIGKILL");
        await leader?.done;
      }
      // The one never killed finishes the replay; it may have done so (and released the lock)
      // before anyone looks at the lock again, so it is found by elimination, not by the lock.
      const last = runs.find((r) => !killed.has(r));
      const result = await last?.done;
      expect(result?.code).toBe(0);
      expect(await dumpWindows(redis, prefix)).toEqual(formatReferenceAsRedis(reference, prefix));
    });
  });
});
