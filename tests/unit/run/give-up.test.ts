import { afterEach, describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { createLogger, type Logger } from "../../../src/lib/log.ts";
import { GiveUpWatch } from "../../../src/run/give-up.ts";

const AFTER_MS = 200;

/** Waits until `condition` holds (polling), failing after a generous deadline. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** A watch on counters and a clock the test moves by hand; `ticks` counts the watch's looks. */
function rig(log: Logger = createLogger({ write: () => undefined })) {
  const state = { now: 1_000_000, events: 0, writes: 0, paused: false, ticks: 0, settled: false };
  const watch = new GiveUpWatch(
    AFTER_MS,
    {
      events: () => {
        state.ticks++;
        return state.events;
      },
      writes: () => state.writes,
      paused: () => state.paused,
    },
    log,
    () => state.now,
  );
  watch.stuck.catch(() => {
    state.settled = true;
  });
  /** Waits until the watch has looked at the counters `n` more times. */
  const looks = async (n: number) => {
    const target = state.ticks + n;
    await until(() => state.ticks >= target, `${n} more looks`);
  };
  watches.push(watch);
  return { state, watch, looks };
}

const watches: GiveUpWatch[] = [];
afterEach(() => {
  for (const watch of watches.splice(0)) watch.stop();
});

async function stuckError(watch: GiveUpWatch): Promise<WikistreamError> {
  const error = await watch.stuck.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WikistreamError);
  return error as WikistreamError;
}

describe("GiveUpWatch", () => {
  test("no progress for afterMs (by the injected clock): stuck rejects with a `stuck` error", async () => {
    const { state, watch, looks } = rig();
    await looks(2);
    expect(state.settled).toBe(false); // the clock has not moved
    state.now += AFTER_MS;
    const error = await stuckError(watch);
    expect(error.type).toBe("stuck");
    expect(error.message).toBe("no event read and no window written for 200ms: giving up, as --give-up-after asks");
  });

  test("the message carries the last problem logged", async () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    const { state, watch } = rig(log);
    log.warn("the stream answered HTTP 503");
    log.info("not a problem");
    state.now += 10 * AFTER_MS;
    const error = await stuckError(watch);
    expect(error.message).toBe("no event read and no window written for 200ms (last problem: the stream answered HTTP 503): giving up, as --give-up-after asks");
    expect(lines).toEqual(["warn: the stream answered HTTP 503\n", "not a problem\n"]);
  });

  test.each([
    { progress: "an event read", move: (s: { events: number; writes: number; paused: boolean }) => s.events++ },
    { progress: "a window written", move: (s: { events: number; writes: number; paused: boolean }) => s.writes++ },
    { progress: "standing by (paused)", move: (s: { events: number; writes: number; paused: boolean }) => void (s.paused = true) },
  ])("$progress restarts the wait", async ({ move }) => {
    const { state, watch, looks } = rig();
    state.now += AFTER_MS - 50; // 150ms without progress
    move(state);
    await looks(1); // the watch saw the progress at 150ms
    state.paused = false;
    state.now += AFTER_MS - 1; // 199ms since the progress: not yet
    await looks(2);
    expect(state.settled).toBe(false);
    state.now += 1;
    expect((await stuckError(watch)).type).toBe("stuck");
  });

  test("a clock that stands still never gives up, however long the counters stay put", async () => {
    const { state, looks } = rig();
    await looks(5);
    expect(state.settled).toBe(false);
  });
});
