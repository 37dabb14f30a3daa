/**
 * A windower resumed from a checkpoint hands out what one uninterrupted run would: the two ways a
 * resume once did not (seen as an extra quiet, incomplete window before --since in the Sentinel
 * failover test, whose new master held only the first write).
 */
import { describe, expect, test } from "bun:test";
import type { WindowBatch } from "../../../src/window/types.ts";
import { createWindower } from "../../../src/window/windower.ts";

const W = 30_000;
const L = 60_000;
const SINCE = 1_633_731_780_000;
const options = { windowMs: W, latenessMs: L, origin: { kind: "since" as const, sinceMs: SINCE } };

/** Event times every 500 ms from just after --since to `toMs` (exclusive). */
function every500(toMs: number): number[] {
  const times: number[] = [];
  for (let t = SINCE + 500; t < toMs; t += 500) times.push(t);
  return times;
}

/** Feeds `times[from..until)` to `windower` (ids e<index>), then drains it into `batches`. */
function feed(windower: ReturnType<typeof createWindower>, times: number[], from: number, until: number, batches: WindowBatch[] = []): WindowBatch[] {
  for (let i = from; i < until; i++) {
    windower.add(times[i] ?? 0, "a");
    windower.advance(`e${i}`, `m${i}`);
  }
  const batch = windower.drain();
  if (batch) batches.push(batch);
  return batches;
}

describe("a resume from the first write", () => {
  test("lists no window before the first: a final boundary below it is not saved", () => {
    const times = every500(SINCE + 200_000);
    const first = createWindower(options);
    // The first write: the stream's time is past the first window (it is due) but the watermark is
    // not: windows before --since would be "final" with nothing in them.
    const [saved] = feed(first, times, 0, 89);
    expect(saved?.windows.map((w) => [w.startMs, w.final])).toEqual([[SINCE, false]]);
    const resumed = createWindower({ ...options, checkpoint: saved?.checkpoint });
    const [batch] = feed(resumed, times, 0, times.length);
    expect(batch?.windows[0]?.startMs).toBe(SINCE);
    expect(batch?.incomplete).toEqual([]);
    expect(saved?.checkpoint.finalMs).toBe(null);
  });
});

describe("a second resume before the first one's replays are over", () => {
  test("still takes those events for replays: a late one among them marks nothing", () => {
    // Window SINCE+30 s is open (and so the resume point) while a late event for window SINCE
    // comes and marks it; the checkpoint after it is written with the mark.
    const times = [...every500(SINCE + 180_000), SINCE + 1000, ...every500(SINCE + 240_000).map((t) => t + 180_000)];
    const late = 359;
    const first = createWindower(options);
    const [saved] = feed(first, times, 0, late + 20);
    expect(saved?.incomplete).toEqual([SINCE]);
    const resumeAt = Number((saved?.checkpoint.resume.id ?? "e-1").slice(1)) + 1;
    expect(resumeAt).toBeLessThan(late);
    // Crash; the next run writes once more before it reaches where the first one was, and crashes too.
    const second = createWindower({ ...options, checkpoint: saved?.checkpoint });
    const [again] = feed(second, times, resumeAt, resumeAt + 5);
    expect(again?.checkpoint.resume).toEqual(saved?.checkpoint.resume);
    const third = createWindower({ ...options, checkpoint: again?.checkpoint });
    const batches = feed(third, times, resumeAt, times.length);
    expect(batches.flatMap((b) => b.incomplete)).toEqual([]);
    expect(again?.checkpoint.readAfter).toBe(saved?.checkpoint.readAfter);
  });
});
