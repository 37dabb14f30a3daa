/** The stdout sink holds reading while a slow reader leaves too many windows unprinted. */
import { expect, test } from "bun:test";
import { createStdoutSink } from "../../../src/sink/stdout.ts";
import type { Checkpoint, WindowSnapshot } from "../../../src/window/types.ts";

const checkpoint: Checkpoint = { resume: { id: null, sinceMs: null, maxSeenMs: null, recent: [] }, finalMs: null, originMs: null, windowMs: 30_000, latenessMs: 60_000 };

function window(i: number): WindowSnapshot {
  return { startMs: i * 30_000, endMs: (i + 1) * 30_000, total: 1, counts: new Map([["en.wikipedia.org", 1]]), final: true };
}

test("reading goes on while the reader keeps up; above 2000 unprinted windows it waits until they are printed", async () => {
  const blocked: (() => void)[] = [];
  const printed: string[] = [];
  const sink = createStdoutSink({
    format: "jsonl",
    color: false,
    write: (text) =>
      new Promise<void>((resolve) =>
        blocked.push(() => {
          printed.push(text);
          resolve();
        }),
      ),
  });
  for (let i = 0; i < 2000; i++) sink.write({ windows: [window(i)], incomplete: [], checkpoint });
  expect(sink.hold()).toBeUndefined();
  expect(sink.backlog()).toBe(2000);
  sink.write({ windows: [window(2000)], incomplete: [], checkpoint });
  const hold = sink.hold();
  expect(hold).toBeInstanceOf(Promise);
  let released = false;
  void hold?.then(() => {
    released = true;
  });
  // The reader drains the pipe, one write at a time.
  while (printed.length < 2001) {
    await Bun.sleep(0);
    blocked.shift()?.();
  }
  await hold;
  expect(released).toBe(true);
  expect(sink.backlog()).toBe(0);
  expect(sink.hold()).toBeUndefined();
  expect(await sink.flush()).toBe(true);
});
