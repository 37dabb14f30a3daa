/**
 * The live page (GET /) and its event stream (GET /events). The page is an HTML import: Bun
 * bundles page/index.html with its script, its CSS and uPlot when the binary is compiled, and
 * serves the files from memory, so nothing is read from disk or from another origin.
 *
 * The stream costs nothing per event and nothing without a reader: while at least one page is
 * open, one timer a second reads the open windows from the telemetry and sends what changed
 * (see page/messages.ts); final windows are collected as the flusher hands them over, about
 * one per window length.
 */
import type { Telemetry } from "../run/telemetry.ts";
import type { MemberCounts, WindowView } from "../window/types.ts";
import { toWire } from "../window/wire.ts";
import page from "./page/index.html";
import type { DeltaMessage, LiveMessage, SnapshotMessage, StatusMessage } from "./page/messages.ts";
import type { RouteSet } from "./routes.ts";

/** How often the page hears from the run: the budget is one message a second. */
const TICK_MS = 1000;
/**
 * Messages a page may leave unread before it is dropped (it reconnects by itself and gets a
 * fresh snapshot): bounds the memory a stalled tab can hold on the server.
 */
const MAX_QUEUED_MESSAGES = 30;
/** How long EventSource waits before reconnecting after the stream ends (ms). */
const RETRY_MS = 2000;

/** Options of createLiveRoutes. */
export interface LiveOptions {
  telemetry: Telemetry;
  /** Reads the last windows from storage (Redis), once at start, to fill the chart's past. */
  loadHistory?: () => Promise<WindowView[]>;
  /** Whether windows go to Redis: shown on the page. */
  redis: boolean;
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/** The members of `now` whose count differs from `before`'s (all of them when there is no before). */
function changedCounts(now: MemberCounts, before: ReadonlyMap<string, number> | undefined): MemberCounts {
  if (before === undefined) return now;
  const changed: MemberCounts = new Map();
  for (const [name, count] of now) if (before.get(name) !== count) changed.set(name, count);
  return changed;
}

/** An open window with only what changed since `before` (as it was last sent) in its counts and in each view. */
function changedSince(window: WindowView, before: WindowView | undefined): WindowView {
  if (before === undefined) return window;
  const views = window.views && new Map([...window.views].map(([name, counts]) => [name, changedCounts(counts, before.views?.get(name))]));
  return { ...window, counts: changedCounts(window.counts, before.counts), views };
}

/** The event stream's state: the pages reading it, and what they were last sent. */
class LiveEvents {
  private readonly encoder = new TextEncoder();
  private readonly clients = new Set<Client>();
  /** Final windows handed over since the last message, by start: a rewrite replaces. */
  private readonly finals = new Map<number, WindowView>();
  /** The open windows as last sent, by start, to send only what changed. */
  private sentOpen = new Map<number, WindowView>();
  private snapshotDue = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  history: StatusMessage["history"] = "none";

  constructor(
    private readonly telemetry: Telemetry,
    private readonly redis: boolean,
  ) {}

  /** Seeds the telemetry with the windows `load` reads; the pages open by then get a new snapshot. */
  loadHistory(load: () => Promise<WindowView[]>): void {
    this.history = "loading";
    load()
      .then((windows) => {
        if (this.closed) return;
        this.telemetry.seedWindows(windows);
        this.history = "loaded";
        this.snapshotDue = true;
      })
      .catch(() => {
        // The page works without its past: it says so in the status and fills as windows close.
        this.history = "failed";
      });
  }

  /** GET /events: a snapshot now, then a delta every second while the page reads. */
  connect(request: Request): Response {
    if (this.closed) return new Response("shutting down\n", { status: 503 });
    let client: Client | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller };
        this.clients.add(client);
        this.start();
        this.send(client, `retry: ${RETRY_MS}\n\n`);
        // The open windows it holds are as new as or newer than what the next delta compares
        // with, and deltas carry absolute counts: applied on top, they are still right.
        this.send(client, this.snapshot());
      },
      cancel: () => client && this.drop(client),
    });
    request.signal.addEventListener("abort", () => client && this.drop(client), { once: true });
    return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" } });
  }

  close(): void {
    this.closed = true;
    this.stop();
    for (const client of [...this.clients]) this.drop(client);
  }

  private status(open: readonly WindowView[]): StatusMessage {
    const { telemetry } = this;
    const { ready, reason } = telemetry.readiness();
    const lag = telemetry.lagSeconds();
    return {
      now: Date.now(),
      lag: lag === null ? null : Math.round(lag * 10) / 10,
      eventsPerSecond: Math.round(telemetry.eventsPerSecond() * 10) / 10,
      openWindows: open.length,
      lastWrite: telemetry.lastWriteAt,
      redis: this.redis,
      ready,
      reason,
      waitingFor: telemetry.waitingFor(),
      history: this.history,
    };
  }

  private snapshot(open = this.telemetry.openWindows()): SnapshotMessage {
    const wire = (w: WindowView) => toWire(w, w.incomplete);
    return { kind: "snapshot", status: this.status(open), windows: this.telemetry.recentWindows().map(wire), open: open.map(wire) };
  }

  private delta(open: readonly WindowView[]): DeltaMessage {
    const windows = [...this.finals.values()].map((w) => toWire(w, w.incomplete));
    this.finals.clear();
    const changed = open.map((w) => changedSince(w, this.sentOpen.get(w.startMs)));
    return { kind: "delta", status: this.status(open), windows, open: changed.map((w) => toWire(w, w.incomplete)) };
  }

  private tick(): void {
    const open = this.telemetry.openWindows();
    let message: LiveMessage;
    if (this.snapshotDue) {
      this.snapshotDue = false;
      this.finals.clear();
      message = this.snapshot(open);
    } else {
      message = this.delta(open);
    }
    this.sentOpen = new Map(open.map((w) => [w.startMs, w]));
    for (const client of this.clients) this.send(client, message);
  }

  private send(client: Client, message: LiveMessage | string): void {
    const { controller } = client;
    // A tab that stopped reading (asleep, stalled network) is let go rather than buffered for.
    if ((controller.desiredSize ?? 0) < -MAX_QUEUED_MESSAGES) return this.drop(client);
    const text = typeof message === "string" ? message : `data: ${JSON.stringify(message)}\n\n`;
    try {
      controller.enqueue(this.encoder.encode(text));
    } catch {
      this.drop(client);
    }
  }

  // The timer and the subscription live only while a page is open: without one, the page costs nothing.
  private start(): void {
    if (this.timer !== undefined) return;
    this.unsubscribe = this.telemetry.subscribe({
      onWindows: (windows) => {
        for (const w of windows) if (w.final) this.finals.set(w.startMs, w);
      },
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.finals.clear();
    this.sentOpen.clear();
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    try {
      client.controller.close();
    } catch {
      // Already closed by the other side.
    }
    if (this.clients.size === 0) this.stop();
  }
}

/**
 * GET / (the page) and GET /events (its stream). Calls `loadHistory` once, now, and seeds the
 * telemetry with what it returns; pages open by then get a new snapshot.
 */
export function createLiveRoutes(options: LiveOptions): RouteSet {
  const events = new LiveEvents(options.telemetry, options.redis);
  if (options.loadHistory) events.loadHistory(options.loadHistory);
  return {
    routes: { "/": page, "/events": (request) => events.connect(request) },
    close: () => events.close(),
  };
}
