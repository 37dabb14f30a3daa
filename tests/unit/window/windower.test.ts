import { describe, expect, test } from "bun:test";
import { resolveWindowStart } from "../../../src/window/align.ts";
import type { Checkpoint, WindowBatch } from "../../../src/window/types.ts";
import { createWindower } from "../../../src/window/windower.ts";
import { WATERMARK_RANK } from "../../../src/window/watermark.ts";
import { createStreamClock } from "../../support/corpus.ts";
import { createRandom } from "../../support/random.ts";

const W = 30_000;
const L = 60_000;

/** Enough events at `t` to make it the stream's time (one event alone cannot move it). */
const bulk = (t: number): number[] => Array<number>(WATERMARK_RANK).fill(t);
/** Adds enough events at `t` on `server` to make it the stream's time. */
function settle(windower: ReturnType<typeof createWindower>, t: number, server: string, ids?: () => string): void {
  for (const time of bulk(t)) {
    windower.add(time, server);
    if (ids) {
      const id = ids();
      windower.advance(id, `m-${id}`);
    }
  }
}

describe("resolveWindowStart", () => {
  test.each([
    [0, 0],
    [29_999, 0],
    [30_000, 30_000],
    [1_633_731_799_000, 1_633_731_780_000],
  ])("%p falls in the window starting at %p", (time, start) => {
    expect(resolveWindowStart(time, W)).toBe(start);
  });
});

describe("lateness and finality", () => {
  const cases: { name: string; times: number[]; outcomes: string[] }[] = [
    { name: "in-order events count", times: [1000, 2000, 31_000], outcomes: ["counted", "counted", "counted"] },
    { name: "an event up to the lateness behind counts", times: [100_000, 45_000], outcomes: ["counted", "counted"] },
    { name: "an event whose window closed is late", times: [...bulk(100_000), 9_000], outcomes: [...bulk(0).map(() => "counted"), "late"] },
    { name: "the boundary: end == stream time - lateness is closed", times: [...bulk(90_000), 29_999], outcomes: [...bulk(0).map(() => "counted"), "late"] },
    { name: "one event far ahead does not make the others late", times: [1000, 2000, 900_000, 3000, 4000], outcomes: ["counted", "counted", "counted", "counted", "counted"] },
  ];
  test.each(cases)("$name", ({ times, outcomes }) => {
    const windower = createWindower({ windowMs: W, latenessMs: L });
    expect(times.map((t) => windower.add(t, "a"))).toEqual(outcomes as never);
  });

  test("a window is written once due and again, whole, when final", () => {
    const windower = createWindower({ windowMs: W, latenessMs: L });
    windower.add(1000, "a");
    settle(windower, 31_000, "b");
    const first = windower.drain();
    expect(first?.windows.map((w) => [w.startMs, w.total, w.final])).toEqual([[0, 1, false]]);
    windower.add(2000, "a");
    settle(windower, 95_000, "c");
    const second = windower.drain();
    // Window 0 is now final (rewritten whole with the late-arriving event); window 30 s is due.
    expect(second?.windows.map((w) => [w.startMs, w.total, w.final])).toEqual([
      [0, 2, true],
      [30_000, WATERMARK_RANK, false],
    ]);
    expect(second?.checkpoint.finalMs).toBe(30_000);
    // The resume point lies before the first event of the oldest open window (30 s).
    expect(second?.checkpoint.resume.id).toBe(null);
  });

  test("events at or after --until are not counted but close windows", () => {
    const windower = createWindower({ windowMs: W, latenessMs: L, untilMs: 40_000 });
    expect(windower.add(39_000, "a")).toBe("counted");
    expect(windower.add(40_000, "a")).toBe("after-until");
    expect(windower.isDone()).toBe(false);
    settle(windower, 130_000, "x");
    expect(windower.isDone()).toBe(true);
  });
});

describe("quiet windows", () => {
  test("windows with nothing counted between the first window and the last final one are handed out empty", () => {
    const windower = createWindower({ windowMs: W, latenessMs: 0 });
    windower.add(1000, "a");
    settle(windower, 100_000, "b"); // windows 30 s and 60 s see nothing
    settle(windower, 130_000, "c");
    const batch = windower.drain();
    expect(batch?.windows.map((w) => [w.startMs, w.total, w.final])).toEqual([
      [0, 1, true],
      [30_000, 0, true],
      [60_000, 0, true],
      [90_000, WATERMARK_RANK, true],
    ]);
  });

  test("after a resume they continue from the saved final boundary, and none comes twice", () => {
    const first = createWindower({ windowMs: W, latenessMs: 0 });
    let n = 0;
    const ids = () => `e${n++}`;
    first.add(1000, "a");
    first.advance(ids(), "m");
    settle(first, 40_000, "b", ids);
    const saved = first.drain()?.checkpoint;
    expect(saved?.finalMs).toBe(30_000);
    // The resume point lies before the first event at 40 s: the eight read after it are replays.
    expect(saved?.readAfter).toBe(WATERMARK_RANK);
    const second = createWindower({ windowMs: W, latenessMs: 0, checkpoint: saved });
    settle(second, 40_000, "b");
    settle(second, 125_000, "c");
    expect(second.drain()?.windows.map((w) => [w.startMs, w.total])).toEqual([
      [30_000, WATERMARK_RANK],
      [60_000, 0],
      [90_000, 0],
    ]);
  });
});

describe("resume points", () => {
  test("a live start resumes from its first event's time, never from 'live'", () => {
    const windower = createWindower({ windowMs: W, latenessMs: L, origin: { kind: "live" } });
    // 1_000_015_000 lies in the window starting 999_990_000; 1_000_040_000 in 1_000_020_000.
    windower.add(1_000_015_000, "a");
    windower.advance("e0", "m0");
    windower.add(1_000_040_000, "a");
    windower.advance("e1", "m1");
    const batch = windower.drain();
    expect(batch?.checkpoint.resume).toEqual({ id: null, sinceMs: 1_000_015_000, maxSeenMs: null, recentTimes: [], recent: [] });
    // Joined mid-way: windows up to the lateness past the first event may miss events sent
    // before we connected, so both are marked; the origin is the first window that cannot.
    expect(batch?.incomplete).toEqual([999_990_000, 1_000_020_000]);
    expect(batch?.checkpoint.originMs).toBe(1_000_080_000);
  });

  test("the saved position is the earliest first arrival among open windows, with the newest time before it", () => {
    const windower = createWindower({ windowMs: W, latenessMs: L, origin: { kind: "since", sinceMs: 0 } });
    const feed: [number, string][] = [
      [100_000, "e0"], // window 90 s
      [125_000, "e1"], // window 120 s
      [95_000, "e2"], // window 90 s again (out of order)
      [160_000, "e3"], // window 150 s; 90 s is due, none final yet
    ];
    for (const [t, id] of feed) {
      windower.add(t, "a");
      windower.advance(id, `m-${id}`);
    }
    const batch = windower.drain();
    // Window 90 s was opened first, before e0: nothing precedes it but the --since origin.
    expect(batch?.checkpoint.resume).toMatchObject({ id: null, sinceMs: 0, maxSeenMs: null });
    let n = 4;
    settle(windower, 215_000, "a", () => `e${n++}`); // watermark 155 s: windows 90 s and 120 s final
    const next = windower.drain();
    expect(next?.windows.filter((w) => w.final).map((w) => w.startMs)).toEqual([90_000, 120_000]);
    // Oldest open window is 150 s, first reached by e3: resume after e2, with e0–e2's times (too
    // few for a stream time yet) and the events read after it.
    expect(next?.checkpoint.resume).toMatchObject({ id: "e2", maxSeenMs: null, recentTimes: [100_000, 125_000, 95_000], recent: ["m-e0", "m-e1", "m-e2"] });
    expect(next?.checkpoint.readAfter).toBe(1 + WATERMARK_RANK);
    expect(next?.checkpoint.finalMs).toBe(150_000);
  });
});

// ---- property test: random disorder, lateness and crashes against a plain model ----


interface Ev {
  t: number;
  server: string;
}

/** The model: one pass, no state but the stream's time as the README states it (createStreamClock) and a map. */
function model(events: Ev[], windowMs: number, latenessMs: number, untilMs: number, late = new Set<number>()): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  const advance = createStreamClock();
  let first = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    // Once every window before --until is final, the run is done: later events mark nothing.
    const done = newest - latenessMs >= Math.ceil(untilMs / windowMs) * windowMs;
    newest = advance(e.t);
    const start = Math.floor(e.t / windowMs) * windowMs;
    if (e.t >= untilMs) continue;
    if (start + windowMs <= newest - latenessMs) {
      // A late event's window is known to miss it.
      if (start >= first && !done) late.add(start);
      continue;
    }
    first = Math.min(first, start);
    const counts = out.get(start) ?? new Map<string, number>();
    counts.set(e.server, (counts.get(e.server) ?? 0) + 1);
    out.set(start, counts);
  }
  return out;
}

/**
 * Applies batches like the Redis sink: whole-window overwrite (a window with nothing counted has
 * no key), every window handed out listed in `epochs`, checkpoint kept with them.
 */
function createStore() {
  const windows = new Map<number, Map<string, number>>();
  const epochs = new Set<number>();
  const incomplete = new Set<number>();
  let checkpoint: Checkpoint | undefined;
  return {
    windows,
    epochs,
    incomplete,
    apply(batch: WindowBatch) {
      for (const start of batch.incomplete) incomplete.add(start);
      for (const w of batch.windows) {
        if (w.total > 0) windows.set(w.startMs, new Map(w.counts));
        else windows.delete(w.startMs);
        epochs.add(w.startMs);
      }
      checkpoint = batch.checkpoint;
    },
    checkpoint: () => checkpoint,
  };
}

describe("property: crashes at random points change nothing", () => {
  for (let seed = 1; seed <= 300; seed++) {
    test(`seed ${seed}`, () => {
      const random = createRandom(seed);
      const windowMs = [1000, 5000, 30_000][Math.floor(random() * 3)] ?? 30_000;
      const latenessMs = Math.floor(random() * 4) * windowMs + Math.floor(random() * windowMs);
      const n = 50 + Math.floor(random() * 400);
      const events: Ev[] = [];
      let clock = 1_000_000_000;
      // History from a little before the first event: the server has it (no gap to mark).
      const SINCE_MS = clock - 5 * windowMs;
      for (let i = 0; i < n; i++) {
        // Now and then a quiet spell of a few windows with no event at all.
        clock += random() < 0.04 ? windowMs * (1 + Math.floor(random() * 4)) : Math.floor(random() * windowMs * 0.3);
        // Mostly fresh, sometimes far behind (late), like the recorded stream.
        const behind = random() < 0.2 ? Math.floor(random() * (latenessMs + 2 * windowMs)) : 0;
        events.push({ t: clock - behind, server: `s${Math.floor(random() * 5)}` });
      }
      const untilMs = random() < 0.5 ? clock - Math.floor(random() * windowMs * 5) : Number.POSITIVE_INFINITY;
      // In half the seeds, an event or two dated far ahead of its neighbours (from a random of
      // their own, so the rest of each seed's stream stays as it was): it must close nothing early.
      const early = createRandom(seed + 100_000);
      if (early() < 0.5) {
        for (let k = 1 + Math.floor(early() * 2); k > 0; k--) {
          const at = Math.floor(early() * events.length);
          events.splice(at, 0, { t: (events[at]?.t ?? clock) + windowMs * (5 + Math.floor(early() * 40)), server: "early" });
        }
      }
      const late = new Set<number>();
      const expected = model(events, windowMs, latenessMs, untilMs, late);

      const store = createStore();
      const crashes = new Set<number>();
      const crashCount = Math.floor(random() * 6);
      for (let c = 0; c < crashCount; c++) crashes.add(Math.floor(random() * n));
      let position = 0;
      let restarts = 0;
      let windower = createWindower({ windowMs, latenessMs, untilMs, origin: { kind: "since", sinceMs: SINCE_MS } });
      while (position < events.length) {
        const event = events[position];
        if (event === undefined) break;
        windower.add(event.t, event.server);
        windower.advance(`e${position}`, `m${position}`);
        position++;
        if (random() < 0.1) {
          const batch = windower.drain();
          if (batch) store.apply(batch);
        }
        if (crashes.has(position) && restarts < 10) {
          crashes.delete(position);
          restarts++;
          // Crash: memory is gone; resume from what the store holds.
          const saved = store.checkpoint();
          windower = createWindower({ windowMs, latenessMs, untilMs, checkpoint: saved, origin: { kind: "since", sinceMs: SINCE_MS } });
          const id = saved?.resume.id ?? null;
          position = id === null ? 0 : Number(id.slice(1)) + 1;
        }
      }
      // A stream of later events closes every window (they are after until or far ahead).
      settle(windower, clock + latenessMs + 10 * windowMs, "closer");
      const last = windower.drain();
      if (last) store.apply(last);
      const byStart = (map: Map<number, Map<string, number>>) => new Map([...map].filter(([start]) => start < clock).sort(([a], [b]) => a - b));
      expect(byStart(store.windows)).toEqual(byStart(expected));
      // Quiet windows are listed too: every window from the first event's to the last final one.
      const first = resolveWindowStart(events[0]?.t ?? 0, windowMs);
      const lastEnd = Math.min(Math.ceil(untilMs / windowMs) * windowMs, resolveWindowStart(clock, windowMs));
      const missing: number[] = [];
      for (let start = first; start < lastEnd; start += windowMs) if (!store.epochs.has(start)) missing.push(start);
      expect(missing).toEqual([]);
      // Every window a late event arrived for is marked incomplete.
      expect([...late].filter((start) => start < clock && !store.incomplete.has(start))).toEqual([]);
      // And nothing else: no window before the first counted one is listed, and of those listed
      // only the windows of late events are marked (a resume once listed, and marked, the quiet
      // window before the first one: its checkpoint's final boundary lay below it).
      const firstCounted = Math.min(...expected.keys());
      expect([...store.epochs].filter((start) => start < firstCounted)).toEqual([]);
      // (Windows before --since's are marked too: they miss the events dated before it.)
      const originMs = Math.ceil(SINCE_MS / windowMs) * windowMs;
      const marked = [...store.incomplete].filter((start) => start >= Math.max(firstCounted, originMs) && start < clock);
      expect(marked.filter((start) => !late.has(start))).toEqual([]);
    });
  }
});
