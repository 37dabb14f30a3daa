/**
 * The queued-sink engine against an in-memory store: merging while the store is away, retries
 * with a growing backoff, the reading pause above the backlog bound, the judgements (retry,
 * again, fatal) and a stop with a write still on its way.
 */
import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { createLogger } from "../../../src/lib/log.ts";
import type { SinkObserver } from "../../../src/run/ports.ts";
import { createQueuedSink, MAX_BACKLOG_WINDOWS, type Judgement, type Store, type StoreAnswer, type StoreHooks } from "../../../src/sink/queued.ts";
import type { WriteUnit } from "../../../src/sink/queue.ts";
import type { Checkpoint, WindowBatch, WindowSnapshot } from "../../../src/window/types.ts";
import { waitFor } from "../../support/process.ts";

/** What the store does with its next write. */
type Step = "land" | "away" | "fatal" | "refuse" | "hang";

/** A store that keeps its units in memory and follows a plan, one step per write (then lands). */
class MemoryStore implements Store {
  readonly name = "Memory";
  readonly at = "Memory at test";
  readonly landed: WriteUnit[] = [];
  readonly plan: Step[] = [];
  attempts = 0;
  /** Every write fails as unreachable while set. */
  down = false;
  closed = false;
  hooks: StoreHooks | undefined;
  private answer: (() => void) | undefined;

  open(hooks: StoreHooks): Promise<Checkpoint | null> {
    this.hooks = hooks;
    return Promise.resolve(null);
  }
  nextWrite(): string {
    return String(this.landed.length + 1);
  }
  async write(unit: WriteUnit): Promise<StoreAnswer> {
    this.attempts++;
    const step = this.down ? "away" : (this.plan.shift() ?? "land");
    if (step === "away") throw new Error("connect ECONNREFUSED");
    if (step === "fatal") throw new WikistreamError("redis", "NOPERM this user has no permissions");
    if (step === "refuse") return { kind: "refused", reason: "reply lost" };
    if (step === "hang") await new Promise<void>((resolve) => (this.answer = resolve));
    this.landed.push(structuredClone(unit));
    return { kind: "landed" };
  }
  /** Answers the write that hangs. */
  release(): void {
    this.answer?.();
  }
  judge(failure: unknown): Judgement {
    if (failure === "reply lost") return { action: "again", kind: "reply_lost", note: "the answer was lost but the write landed: carrying on" };
    if (failure instanceof WikistreamError) return { action: "fatal", kind: failure.type, error: failure };
    return { action: "retry", kind: "connection", cause: "connection refused", away: true };
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const checkpoint = (n: number): Checkpoint => ({ resume: { id: `id-${n}`, sinceMs: null, maxSeenMs: null, recent: [] }, finalMs: null, originMs: null, windowMs: 30_000, latenessMs: 60_000 });

function window(i: number, count: number, final = true): WindowSnapshot {
  return { startMs: i * 30_000, endMs: (i + 1) * 30_000, total: count, counts: new Map([["en.wikipedia.org", count]]), final };
}

function batch(n: number, windows: WindowSnapshot[], incomplete: number[] = []): WindowBatch {
  return { windows, incomplete, checkpoint: checkpoint(n) };
}

/** A sink over a fresh store, with what it logged, the errors and waits it told, and the backoff attempts it asked for. */
async function openSink(waitMs = 0) {
  const store = new MemoryStore();
  const lines: string[] = [];
  const told: string[] = [];
  const attempts: number[] = [];
  const observer: SinkObserver = { onWrite: () => told.push("write"), onError: (kind) => told.push(`error:${kind}`), onWaiting: (waiting) => told.push(`waiting:${waiting}`) };
  const backoff = (attempt: number) => {
    attempts.push(attempt);
    return waitMs;
  };
  const sink = createQueuedSink(store, { log: createLogger({ verbose: true, write: (line) => lines.push(line) }), observer, backoff });
  expect(await sink.open()).toBeNull();
  return { sink, store, lines, told, attempts };
}

describe("the queued sink", () => {
  test("batches written while the store is away merge: the latest snapshot of each window, oldest first, with the latest checkpoint", async () => {
    const { sink, store, lines, told } = await openSink(20);
    store.down = true;
    sink.write(batch(1, [window(2, 5, false)], [2 * 30_000]));
    await waitFor(() => store.attempts >= 2, 10_000, "two attempts");
    sink.write(batch(2, [window(2, 7), window(1, 3)]));
    store.down = false;
    expect(await sink.flush()).toBe(true);
    expect(store.landed).toHaveLength(1);
    const last = store.landed.at(-1);
    expect(last?.windows.map((w) => [w.startMs / 30_000, w.total, w.final])).toEqual([
      [1, 3, true],
      [2, 7, true],
    ]);
    expect(last?.incomplete).toEqual([2 * 30_000]);
    expect(last?.checkpoint?.resume.id).toBe("id-2");
    expect(store.landed.flatMap((unit) => unit.windows).filter((w) => w.startMs === 2 * 30_000 && w.total === 5)).toEqual([]);
    expect(lines.filter((line) => line.includes("cannot write to Memory at test (connection refused)"))).toHaveLength(1);
    expect(lines.some((line) => line.includes("Memory writes resumed (2 windows caught up)"))).toBe(true);
    expect(told.filter((t) => t === "error:connection").length).toBeGreaterThanOrEqual(2);
    expect(told).toContain("waiting:true");
  });

  test("each retry asks for a longer backoff; a write that lands starts the count again", async () => {
    const { sink, store, attempts } = await openSink();
    store.plan.push("away", "away", "away");
    sink.write(batch(1, [window(1, 1)]));
    expect(await sink.flush()).toBe(true);
    store.plan.push("away");
    sink.write(batch(2, [window(2, 1)]));
    expect(await sink.flush()).toBe(true);
    expect(attempts).toEqual([1, 2, 3, 1]);
    expect(sink.written()).toBe(2);
  });

  test(`above ${MAX_BACKLOG_WINDOWS} waiting windows reading is held, and let go once they are written`, async () => {
    const { sink, store } = await openSink();
    store.plan.push("hang");
    sink.write(batch(0, [window(0, 1)]));
    await waitFor(() => store.attempts === 1, 10_000, "the write on its way");
    for (let i = 1; i <= MAX_BACKLOG_WINDOWS; i++) sink.write(batch(i, [window(i, 1)]));
    expect(sink.hold()).toBeUndefined();
    sink.write(batch(MAX_BACKLOG_WINDOWS + 1, [window(MAX_BACKLOG_WINDOWS + 1, 1)]));
    const hold = sink.hold();
    expect(hold).toBeInstanceOf(Promise);
    let released = false;
    void hold?.then(() => (released = true));
    await Bun.sleep(0);
    expect(released).toBe(false);
    store.release();
    await hold;
    expect(await sink.flush()).toBe(true);
    expect(store.landed.flatMap((unit) => unit.windows)).toHaveLength(MAX_BACKLOG_WINDOWS + 2);
    expect(sink.backlog()).toBe(0);
  });

  test("a stop with a write on its way counts its windows unwritten and names it, once each even when queued again", async () => {
    const { sink, store } = await openSink();
    store.plan.push("hang");
    sink.write(batch(1, [window(1, 1), window(2, 1)]));
    await waitFor(() => store.attempts === 1, 10_000, "the write on its way");
    sink.write(batch(2, [window(2, 4), window(3, 1)]));
    expect(sink.backlog()).toBe(3);
    expect(sink.describeInFlight?.()).toMatch(/^2 of them in write 1, sent \d+\.\ds ago and not answered yet$/);
    const flushed = sink.flush();
    let done = false;
    void flushed.then(() => (done = true));
    await Bun.sleep(0);
    expect(done).toBe(false);
    store.release();
    expect(await flushed).toBe(true);
    expect(sink.describeInFlight?.()).toBeUndefined();
    expect(store.landed.map((unit) => unit.windows.map((w) => w.total))).toEqual([[1, 1], [4, 1]]);
    await sink.close();
    expect(store.closed).toBe(true);
  });

  test("a refusal judged 'again' is written again at once, without a backoff, and said", async () => {
    const { sink, store, lines, told, attempts } = await openSink();
    store.plan.push("refuse");
    sink.write(batch(1, [window(1, 2)]));
    expect(await sink.flush()).toBe(true);
    expect(store.attempts).toBe(2);
    expect(attempts).toEqual([]);
    expect(told).toContain("error:reply_lost");
    expect(lines.some((line) => line.includes("the answer was lost but the write landed: carrying on"))).toBe(true);
  });

  test("a fatal judgement fails the sink: the run is told, flush says false, held reading is let go, nothing more is written", async () => {
    const { sink, store, told } = await openSink();
    store.plan.push("fatal");
    for (let i = 0; i <= MAX_BACKLOG_WINDOWS; i++) sink.write(batch(i, [window(i, 1)]));
    const hold = sink.hold();
    expect(hold).toBeInstanceOf(Promise);
    await expect(sink.failed).rejects.toThrow("NOPERM");
    await hold;
    expect(await sink.flush()).toBe(false);
    expect(told).toContain("error:redis");
    sink.write(batch(MAX_BACKLOG_WINDOWS + 1, [window(MAX_BACKLOG_WINDOWS + 1, 1)]));
    await Bun.sleep(5);
    expect(store.attempts).toBe(1);
    expect(store.landed).toEqual([]);
  });

  test("a store that says it is back gets what waits at once, not after the backoff", async () => {
    const { sink, store } = await openSink(3_600_000);
    store.plan.push("away");
    sink.write(batch(1, [window(1, 1)]));
    await waitFor(() => store.attempts === 1, 10_000, "the failed attempt");
    store.hooks?.ready();
    expect(await sink.flush()).toBe(true);
    expect(store.landed).toHaveLength(1);
    await sink.close();
  });
});
