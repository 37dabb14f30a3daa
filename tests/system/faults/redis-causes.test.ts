/**
 * Saying what happened to Redis: the checkpoint flushed, another writer ahead, a failover that
 * lost the last writes, a write that hangs, a stop while a write is in flight. Each runs the
 * compiled binary against a redis-server of its own and the paced fixture server; each cause
 * gets its own message and metric label, and the result is still exact.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario, formatReferenceAsRedis } from "../../support/corpus.ts";
import { startFixtureServer, type FixtureServer } from "../../support/fixture-server.ts";
import { killStrayRuns, runWikistream, spawnTracked, summaryOf, terminate, waitFor, type WikistreamProcess } from "../../support/process.ts";
import { startReplyProxy, type ReplyProxy } from "../../support/redis-proxy.ts";
import { dumpWindows, startRedis, type TestRedis } from "../../support/redis.ts";

setDefaultTimeout(90_000);

const { stream, sinceMs, untilMs, reference } = createReplayScenario({ cycles: 2, untilIntoLastCycleMs: 95_000 });

afterEach(killStrayRuns);

/** A run of the replay into a Redis of its own (DEBUG allowed), with --listen, and what the test needs of it. */
interface Scene {
  redis: TestRedis;
  server: FixtureServer;
  run: WikistreamProcess;
  prefix: string;
  base: string;
  args: string[];
}

/** Runs `body` with a scene; `through` gives the URL the run writes to, when not the Redis itself (a proxy). */
async function withScene(prefix: string, ratePerSec: number, body: (scene: Scene) => Promise<void>, through?: (redis: TestRedis) => Promise<string>): Promise<void> {
  const redis = await startRedis(["--enable-debug-command", "yes"]);
  const server = startFixtureServer({ events: stream.events, ratePerSec, chunkEvents: 25 });
  try {
    const args = ["--url", server.url, "--redis-url", through ? await through(redis) : redis.url, "--prefix", prefix, "--since", String(sinceMs), "--until", String(untilMs)];
    const run = spawnTracked([...args, "--listen", "127.0.0.1:0"]);
    const pattern = /serving the live page, metrics and health at (http:\/\/127\.0\.0\.1:\d+\/)/;
    await waitFor(() => pattern.test(run.stderr()) || run.proc.exitCode !== null, 10_000, "the listening line");
    const base = pattern.exec(run.stderr())?.[1] ?? "";
    await body({ redis, server, run, prefix, base, args });
  } finally {
    await server.stop();
    await redis.stop();
  }
}

/**
 * {@link withScene} with the run's Redis connection through a proxy that can lose or hold the
 * answer to the write that touches `{prefix}checkpoint`; the proxy is closed afterwards.
 */
async function withProxiedScene(prefix: string, ratePerSec: number, body: (scene: Scene, proxy: ReplyProxy) => Promise<void>): Promise<void> {
  let proxy: ReplyProxy | undefined;
  const through = async (redis: TestRedis) => {
    proxy = startReplyProxy(redis.port, `${prefix}checkpoint`);
    return `redis://127.0.0.1:${await proxy.port}`;
  };
  try {
    await withScene(prefix, ratePerSec, (scene) => (proxy ? body(scene, proxy) : Promise.reject(new Error("the proxy did not start"))), through);
  } finally {
    proxy?.close();
  }
}

/** The checkpoint's write sequence number, once the run has written one at least `min`. */
async function waitForSeq(scene: Scene, min: number): Promise<number> {
  let seq = 0;
  await waitFor(
    async () => {
      seq = Number((await scene.redis.client.hget(`${scene.prefix}checkpoint`, "seq")) ?? 0);
      return seq >= min;
    },
    20_000,
    `write ${min} under ${scene.prefix}`,
  );
  return seq;
}

/** The value of one series at /metrics (0 when absent). */
async function readMetric(base: string, series: string): Promise<number> {
  const text = await (await fetch(`${base}metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function count(text: string, pattern: RegExp): number {
  return text.split("\n").filter((line) => pattern.test(line)).length;
}

/** Waits for the run to end, then checks it ended well and left exactly the reference. */
async function expectExactEnd(scene: Scene): Promise<string> {
  const result = await scene.run.done;
  expect(result.code).toBe(0);
  expect(await dumpWindows(scene.redis, scene.prefix)).toEqual(formatReferenceAsRedis(reference, scene.prefix));
  return result.stderr;
}

/** The one cause the old message gave for everything. */
const WRONG_CAUSE = /a failover lost the last writes, or Redis restarted/;

describe("each thing that can happen to the checkpoint gets its own message and metric label", () => {
  test("FLUSHALL mid-run: the checkpoint is said to be gone, flushed; the run starts again and the result is exact", async () => {
    await withScene("gone:", 800, async (scene) => {
      await waitForSeq(scene, 2);
      await scene.redis.client.flushall();
      await waitFor(() => /is gone/.test(scene.run.stderr()), 20_000, "the gone line");
      expect(await readMetric(scene.base, 'wikistream_sink_errors_total{kind="checkpoint_gone"}')).toBe(1);
      const stderr = await expectExactEnd(scene);
      expect(count(stderr, /the checkpoint of prefix 'gone:' is gone from Redis .*flushed \(FLUSHALL, FLUSHDB or a DEL: the server ran all along and evicted nothing\).*starting again without a saved position/)).toBe(1);
      expect(stderr).not.toMatch(/ahead of|behind this writer|failover/);
      expect(stderr).not.toMatch(WRONG_CAUSE);
    });
  });

  test("another writer's newer checkpoint: Redis is said to be ahead, written by another writer; the result is exact", async () => {
    await withScene("ahead:", 800, async (scene) => {
      const seq = await waitForSeq(scene, 2);
      await scene.redis.client.hincrby(`${scene.prefix}checkpoint`, "seq", 5);
      await waitFor(() => /ahead of this writer/.test(scene.run.stderr()), 20_000, "the ahead line");
      expect(await readMetric(scene.base, 'wikistream_sink_errors_total{kind="redis_ahead"}')).toBe(1);
      const stderr = await expectExactEnd(scene);
      const line = stderr.split("\n").find((l) => /ahead of this writer/.test(l)) ?? "";
      expect(line).toMatch(/Redis is ahead of this writer: it holds write (\d+) of prefix 'ahead:' where this writer left write (\d+): another writer wrote to this prefix/);
      const [, found, ours] = /holds write (\d+) .* left write (\d+)/.exec(line) ?? [];
      expect(Number(found)).toBe(Number(ours) + 5);
      expect(Number(ours)).toBeGreaterThanOrEqual(seq);
      expect(stderr).not.toMatch(WRONG_CAUSE);
      expect(stderr).not.toMatch(/is gone|behind this writer/);
    });
  });

  test("an older checkpoint (a failover to a replica without the last writes): Redis is said to be behind; the result is exact", async () => {
    await withScene("behind:", 600, async (scene) => {
      const key = `${scene.prefix}checkpoint`;
      await waitForSeq(scene, 2);
      const old = await scene.redis.client.hgetall(key);
      await waitForSeq(scene, Number(old.seq) + 3);
      await scene.redis.client.multi().del(key).hset(key, old).exec();
      await waitFor(() => /behind this writer/.test(scene.run.stderr()), 20_000, "the behind line");
      expect(await readMetric(scene.base, 'wikistream_sink_errors_total{kind="redis_behind"}')).toBe(1);
      const stderr = await expectExactEnd(scene);
      expect(count(stderr, new RegExp(`Redis is behind this writer: it holds write ${old.seq} of prefix 'behind:' where this writer left write \\d+ \\(a failover or a restart lost the last writes\\): starting again from the checkpoint it holds`))).toBe(1);
      expect(stderr).not.toMatch(/is gone|ahead of this writer/);
    });
  });
});

describe("a reply lost on the way back", () => {
  test("the write landed: said as a lost reply, the run carries on (no restart), and the result is exact", async () => {
    await withProxiedScene("lost:", 600, async (scene, proxy) => {
      await waitForSeq(scene, 2);
      proxy.arm("lose");
      await waitFor(() => proxy.caught() === true, 20_000, "a reply lost");
      await waitFor(() => /was lost on the way back/.test(scene.run.stderr()), 20_000, "the lost reply line");
      expect(await readMetric(scene.base, 'wikistream_sink_errors_total{kind="reply_lost"}')).toBe(1);
      const stderr = await expectExactEnd(scene);
      expect(count(stderr, /the answer to write \d+ of prefix 'lost:' was lost on the way back from Redis at redis:\/\/127\.0\.0\.1:\d+, but the write landed \(the checkpoint holds it\): carrying on from it/)).toBe(1);
      expect(stderr).not.toMatch(/starting again|ahead of|behind this writer|is gone/);
      // Carried on: one connection to the stream, no restart from the checkpoint.
      expect(scene.server.connections.length).toBe(1);
    });
  });
});

describe("a write that hangs", () => {
  test("DEBUG SLEEP 12 during a write: logged once after 10 s (and /readyz says so), again when it lands; the result is exact", async () => {
    await withScene("slow:", 400, async (scene) => {
      await waitForSeq(scene, 2);
      const sleeper = Bun.spawn(["redis-cli", "-p", String(scene.redis.port), "DEBUG", "SLEEP", "12"], { stdout: "ignore", stderr: "ignore" });
      let reason = "";
      await waitFor(
        async () => {
          const response = await fetch(`${scene.base}readyz`).catch((error: unknown) => {
            throw new Error(`${String(error)}; the run ${scene.run.proc.exitCode === null ? "runs" : `exited ${scene.run.proc.exitCode}`}, its stderr: ${scene.run.stderr()}`);
          });
          reason = ((await response.json()) as { reason: string }).reason;
          return response.status === 503 && /a write to Redis has had no answer for \d+s/.test(reason);
        },
        20_000,
        "/readyz naming the write without an answer",
      );
      await sleeper.exited;
      await waitFor(() => /landed after/.test(scene.run.stderr()), 10_000, "the landed line");
      const stderr = await expectExactEnd(scene);
      expect(count(stderr, /a write to Redis at redis:\/\/127\.0\.0\.1:\d+ has had no answer for 10s \(\d+ windows?\); waiting for it/)).toBe(1);
      expect(count(stderr, /the write to Redis at redis:\/\/127\.0\.0\.1:\d+ landed after \d+\.\ds/)).toBe(1);
    });
  });

  test("SIGTERM while a write is in flight: the summary counts it unwritten and names it; what lands after exit is what it said", async () => {
    await withScene("inflight:", 400, async (scene) => {
      await waitForSeq(scene, 2);
      const sleeper = Bun.spawn(["redis-cli", "-p", String(scene.redis.port), "DEBUG", "SLEEP", "14"], { stdout: "ignore", stderr: "ignore" });
      await waitFor(() => /has had no answer for 10s/.test(scene.run.stderr()), 20_000, "the slow write line");
      const result = await terminate(scene.run);
      expect(result.code).toBe(0);
      const line = result.stderr.split("\n").find((l) => /unwritten/.test(l)) ?? "";
      expect(line).not.toMatch(/\b0 windows unwritten/);
      const said = /stopped with (\d+) windows? unwritten, (\d+|none) of them in write (\d+)(?: \(the checkpoint only\))?, sent \d+\.\ds ago and not answered yet: Redis may still apply it after this exit; the saved position lets the next run redo them either way/.exec(line);
      expect(said === null ? line : "matched").toBe("matched");
      expect(Number(said?.[1])).toBeGreaterThanOrEqual(said?.[2] === "none" ? 0 : Number(said?.[2]));
      await sleeper.exited;
      // The write landed after the exit, as the line said it might: the checkpoint holds it.
      await waitFor(async () => (await scene.redis.client.hget(`${scene.prefix}checkpoint`, "seq")) === said?.[3], 10_000, `write ${said?.[3]} in Redis`);
      // A new run picks up from there and the result is exact.
      const again = await runWikistream(scene.args, { timeoutMs: 60_000 });
      expect(again.code).toBe(0);
      expect(await dumpWindows(scene.redis, scene.prefix)).toEqual(formatReferenceAsRedis(reference, scene.prefix));
    });
  });

  test("SIGTERM while a write is in flight that is answered within the stop grace: it counts as written, the last write follows, the summary agrees with Redis", async () => {
    await withProxiedScene("graced:", 600, async (scene, proxy) => {
      await waitForSeq(scene, 2);
      proxy.arm("hold");
      await waitFor(() => proxy.caught() === true, 20_000, "a write on its way, its answer held");
      const stoppedAt = performance.now();
      scene.run.proc.kill("SIGTERM");
      // Well within the stop grace (1.5 s): the run must still be waiting for the answer.
      await Bun.sleep(500);
      expect(scene.run.proc.exitCode).toBeNull();
      proxy.release();
      const result = await scene.run.done;
      expect(result.code).toBe(0);
      expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(500);
      expect(result.stderr).not.toMatch(/stopped with|not answered yet/);
      // What the summary says is not written is exactly what Redis lacks: the held write and the last one landed.
      const summary = summaryOf(result.stderr);
      const counted = Number(/; (\d+) counted/.exec(summary)?.[1]);
      const unwritten = Number(/counted \((\d+) of them in/.exec(summary)?.[1] ?? 0);
      let stored = 0;
      for (const start of await scene.redis.client.zrange(`${scene.prefix}epochs`, 0, -1)) {
        const flat = await scene.redis.client.zrange(`${scene.prefix}${start}`, 0, -1, "WITHSCORES");
        for (let i = 1; i < flat.length; i += 2) stored += Number(flat[i]);
      }
      expect({ summary, stored }).toEqual({ summary, stored: counted - unwritten });
      // A new run picks up from there and the result is exact.
      const again = await runWikistream(scene.args, { timeoutMs: 60_000 });
      expect(again.code).toBe(0);
      expect(await dumpWindows(scene.redis, scene.prefix)).toEqual(formatReferenceAsRedis(reference, scene.prefix));
    });
  });
});
