/**
 * The orchestrator in process, with an in-memory sink: backpressure holds the reader while the
 * sink is behind, and random bytes through the real SSE reader and field scanner neither crash
 * nor hang the pipeline.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger } from "../../../src/lib/log.ts";
import type { Sink, Source } from "../../../src/run/ports.ts";
import { runPipeline, type PipelineConfig } from "../../../src/run/run.ts";
import { createSseSource } from "../../../src/source/sse.ts";
import type { WindowBatch, WindowSnapshot } from "../../../src/window/types.ts";
import { parseView } from "../../../src/event/dimension.ts";
import { waitFor } from "../../support/process.ts";
import { createRandom } from "../../support/random.ts";

setDefaultTimeout(30_000);

const W = 30_000;
const T0 = 1_700_000_010_000;

function createConfig(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    windowMs: W,
    latenessMs: 0,
    sinceMs: undefined,
    untilMs: undefined,
    resume: true,
    types: undefined,
    excludeBots: false,
    servers: [],
    maxEventBytes: 1024 * 1024,
    maxAheadMs: 600_000,
    prefix: "",
    filterDescription: "",
    giveUpAfterMs: undefined,
    retainMs: 0,
    views: [parseView("server_name")],
    ...overrides,
  };
}

/** A sink that keeps windows in memory and writes only when `release()` says so; it holds the reader past `maxBacklog` windows. */
function createMemorySink(maxBacklog = Number.POSITIVE_INFINITY) {
  const pending = new Map<number, WindowSnapshot>();
  const done = new Map<number, WindowSnapshot>();
  let blocked = true;
  let waiters: (() => void)[] = [];
  const sink: Sink & { release(): void; done: Map<number, WindowSnapshot> } = {
    done,
    open: async () => null,
    write(batch: WindowBatch) {
      for (const w of batch.windows) pending.set(w.startMs, w);
      if (!blocked) sink.release();
    },
    backlog: () => pending.size,
    written: () => done.size,
    hold: () => (pending.size > maxBacklog ? new Promise<void>((resolve) => waiters.push(resolve)) : undefined),
    async flush() {
      return pending.size === 0;
    },
    failed: new Promise<never>(() => undefined),
    close: async () => undefined,
    release() {
      blocked = false;
      for (const [start, w] of pending) done.set(start, w);
      pending.clear();
      const ready = waiters;
      waiters = [];
      for (const resolve of ready) resolve();
    },
  };
  return sink;
}

const event = (i: number, timeMs: number, server = "en.wikipedia.org") =>
  JSON.stringify({ meta: { id: `id-${i}`, domain: server, dt: new Date(timeMs).toISOString() }, timestamp: timeMs / 1000, server_name: server, type: "edit" });

describe("backpressure", () => {
  test("while the sink is behind by more than maxBacklog windows, reading stops; it resumes when the sink catches up", async () => {
    const chunks = 40;
    // --until 4 windows before the last: the stream's time (the 8th newest of the last 64 event
    // times) and the lateness (60 s) must pass it before the chunks run out.
    let processedChunks = 0;
    let heldAt = -1;
    const sink = createMemorySink(3);
    const source: Source = {
      async run(handler, signal) {
        handler.onConnect();
        for (let c = 0; c < chunks && !signal.aborted; c++) {
          // Each chunk moves event time a window ahead, so every flush has a new window due.
          for (let i = 0; i < 5; i++) handler.onMessage(`[${c * 5 + i}]`, event(c * 5 + i, T0 + c * W + i * 1000), false);
          processedChunks++;
          const wait = handler.onChunk();
          if (wait !== undefined) {
            if (heldAt === -1) heldAt = c;
            await wait;
          }
        }
      },
    };
    let tick = 0;
    const run = runPipeline({
      // The events span 20 minutes of event time against a clock that moves a second a flush.
      config: createConfig({ untilMs: T0 + (chunks - 4) * W, maxAheadMs: 3_600_000 }),
      source,
      sink,
      // Wall time near event time (events far in the future are refused), a second per call.
      clock: { now: () => T0 + (tick += 1000) },
      log: createLogger({ quiet: true }),
      signal: new AbortController().signal,
      flushIntervalMs: 20,
    });
    // The reader is held once four windows wait, and stays held while the sink is blocked:
    // the flush timer (every 20 ms, each a clock reading) goes on while not one more chunk is read.
    await waitFor(() => heldAt !== -1, 20_000, "the reader to be held");
    const ticksWhenHeld = tick;
    await waitFor(() => tick >= ticksWhenHeld + 5000, 20_000, "five more flushes");
    expect(heldAt).toBeGreaterThan(0);
    expect(processedChunks).toBe(heldAt + 1);
    expect(processedChunks).toBeLessThan(10);
    sink.release();
    const { reason, stats } = await run;
    expect(reason).toBe("until");
    // Nothing was dropped while held: every window before --until holds its 5 events.
    expect([...sink.done.values()].filter((w) => w.startMs < T0 + (chunks - 4) * W).every((w) => w.total === 5)).toBe(true);
    expect(stats.outcomes.counted).toBe((chunks - 4) * 5);
  });
});

describe("stopping", () => {
  test("a stop while reading is held for a sink that is behind ends the run at once, not when the sink catches up", async () => {
    const frames = Array.from({ length: 400 }, (_, i) => `event: message\nid: [${i}]\ndata: ${event(i, T0 + i * 10_000)}\n\n`);
    const fetchStub = (async (_url: URL, init?: RequestInit) => {
      if (init?.signal?.aborted) throw new Error("aborted");
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const frame of frames) controller.enqueue(new TextEncoder().encode(frame));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }) as unknown as typeof fetch;
    const log = createLogger({ quiet: true });
    const source = createSseSource({ url: "http://stub.invalid/", userAgent: "test", idleTimeoutMs: 60_000, maxEventBytes: 4096, log, fetch: fetchStub });
    const sink = createMemorySink(2);
    const stop = new AbortController();
    let tick = 0;
    const run = runPipeline({
      config: createConfig(),
      source,
      sink,
      clock: { now: () => T0 + (tick += 1000) },
      log,
      signal: stop.signal,
      stopGraceMs: 100,
    });
    await waitFor(() => sink.backlog() > 2, 20_000, "the sink to fall behind");
    stop.abort();
    // The grace is 100 ms of the fake clock; the bound only tells a hang from a slow machine.
    const ended = await Promise.race([run.then(() => "ended"), Bun.sleep(20_000).then(() => "still running")]);
    expect(ended).toBe("ended");
  });
});

describe("fuzz: random bytes through the SSE reader, the scanner and the windows", () => {
  for (let seed = 1; seed <= 25; seed++) {
    test(`seed ${seed}: no crash, no hang, and every event is accounted for`, async () => {
      const random = createRandom(seed);
      const pieces: string[] = [":ok\n\n"];
      for (let i = 0; i < 200; i++) {
        const r = random();
        if (r < 0.4) pieces.push(`event: message\nid: [${i}]\ndata: ${event(i, T0 + i * 500, `w${i % 7}.org`)}\n\n`);
        else if (r < 0.6) {
          // A real event with random bytes flipped.
          const text = [...`event: message\nid: [${i}]\ndata: ${event(i, T0 + i * 500)}\n\n`];
          for (let k = 0; k < 3; k++) text[Math.floor(random() * text.length)] = String.fromCharCode(Math.floor(random() * 256));
          pieces.push(text.join(""));
        } else {
          // Pure noise, now and then with line breaks.
          let noise = "";
          const n = Math.floor(random() * 300);
          for (let k = 0; k < n; k++) noise += String.fromCharCode(random() < 0.05 ? 10 : Math.floor(random() * 256));
          pieces.push(noise);
        }
      }
      const bytes = Uint8Array.from(Buffer.from(pieces.join(""), "latin1"));
      let served = false;
      let reconnected = false;
      const fetchStub = (async (_url: URL, init?: RequestInit) => {
        if (served) {
          reconnected = true;
          // Later connections hang like a silent server, until the run stops.
          return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
        }
        served = true;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            // Random chunk boundaries.
            for (let at = 0; at < bytes.length; ) {
              const size = 1 + Math.floor(random() * 700);
              controller.enqueue(bytes.subarray(at, at + size));
              at += size;
            }
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      }) as unknown as typeof fetch;
      const log = createLogger({ quiet: true });
      const source = createSseSource({ url: "http://fuzz.invalid/", userAgent: "test", idleTimeoutMs: 60_000, maxEventBytes: 4096, log, fetch: fetchStub });
      const sink = createMemorySink();
      sink.release();
      const stop = new AbortController();
      const run = runPipeline({ config: createConfig({ maxEventBytes: 4096 }), source, sink, clock: { now: Date.now }, log, signal: stop.signal, flushIntervalMs: 20 });
      // The stub serves once, then a second connection never answers: stop once reading is over.
      await waitFor(() => reconnected, 10_000, "the stream to be read to its end");
      stop.abort();
      const { stats } = await run;
      const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
      const outcomes = Object.values(stats.outcomes).reduce((a, b) => a + b, 0);
      expect(stats.events).toBeGreaterThan(0);
      expect(outcomes + skipped).toBe(stats.events);
    });
  }
});
