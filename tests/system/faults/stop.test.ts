/**
 * Stopping a run into Redis (issue 17, items 7 and 10): SIGHUP (a closed terminal) stops it as
 * SIGTERM does, with the final write and the lock released; and the summary line says how many
 * of the counted events sit in windows not written yet, which the next run reads again, so that
 * it agrees with what Redis holds.
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type Redis from "ioredis";
import { createReplayScenario } from "../../support/corpus.ts";
import { shareFixtureServer, shareRedis } from "../../support/shared.ts";
import { killStrayRuns, spawnTracked, summaryOf, waitFor } from "../../support/process.ts";

setDefaultTimeout(120_000);

const { stream, sinceMs } = createReplayScenario({ cycles: 1, untilIntoLastCycleMs: 95_000 });
// Sends the replay, then holds the stream open: the run waits for more, as it would live.
const server = shareFixtureServer({ events: stream.events, atEnd: "hold" });
const redis = shareRedis();

afterEach(killStrayRuns);

/** The sum of every window's counts that Redis holds under `prefix`. */
async function sumStored(client: Redis, prefix: string): Promise<number> {
  let sum = 0;
  for (const start of await client.zrange(`${prefix}epochs`, 0, -1)) {
    const flat = await client.zrange(`${prefix}${start}`, 0, -1, "WITHSCORES");
    for (let i = 1; i < flat.length; i += 2) sum += Number(flat[i]);
  }
  return sum;
}

/** Starts a run under `prefix` and waits until every event was sent and a window is in Redis. */
async function startRun(prefix: string) {
  const run = spawnTracked(["--url", server.url, "--redis-url", redis.url, "--prefix", prefix, "--since", String(sinceMs)]);
  // Conditions, not a clock: the stream is read to its end and windows have landed.
  await waitFor(() => server.sent() >= stream.events.length, 60_000, "the stream to be sent");
  await waitFor(async () => (await redis.client.exists(`${prefix}epoch_index`)) === 1 || run.proc.exitCode !== null, 60_000, "the first write");
  return run;
}

/** The counted figure and the events the summary says are not written yet. */
function readSummary(stderr: string): { counted: number; unwritten: number } {
  const summary = summaryOf(stderr);
  const counted = Number(/; (\d+) counted/.exec(summary)?.[1] ?? Number.NaN);
  const unwritten = Number(/counted \((\d+) of them in/.exec(summary)?.[1] ?? 0);
  return { counted, unwritten };
}

describe.each(["SIGTERM", "SIGHUP"] as const)("%s", (signal) => {
  test(`stops the run: the final write, the lock released, exit 0; the summary agrees with Redis`, async () => {
    const prefix = `stop-${signal.toLowerCase()}:`;
    const run = await startRun(prefix);
    expect(run.proc.exitCode).toBeNull();
    run.proc.kill(signal);
    const result = await run.done;
    expect({ code: result.code, signal: run.proc.signalCode }).toEqual({ code: 0, signal: null });
    expect(result.stderr).toContain(`${signal}: stopping (writing what is ready)…`);
    // Released, not left to expire: a restart (or a standby) takes over at once.
    expect(await redis.client.exists(`${prefix}lock`)).toBe(0);
    expect(await redis.client.hget(`${prefix}checkpoint`, "final_ms")).not.toBeNull();
    // The newest window is still open when the run stops: its events are counted but not
    // written, and the summary says so, with the next run reading them again.
    const { counted, unwritten } = readSummary(result.stderr);
    expect(summaryOf(result.stderr)).toMatch(/counted \(\d+ of them in (a window|\d+ windows) not written yet: the next run reads them again\)/);
    expect(unwritten).toBeGreaterThan(0);
    expect(await sumStored(redis.client, prefix)).toBe(counted - unwritten);
  });
});
