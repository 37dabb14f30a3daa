/**
 * What a run knows about itself, for the status line, the metrics, the health checks and the
 * live page: counters, the state of the stream and of the sink, and the last windows. Nothing
 * here runs per event: rates are sampled from the run's counters, the newest event time is read
 * from the windows when asked.
 */
import type { WindowSnapshot, WindowView } from "../window/types.ts";
import type { ReconnectCause, SinkObserver } from "./ports.ts";
import { createStats, type RunStats } from "./stats.ts";

/** The span of final windows kept in memory: the hour the live page draws. */
export const RECENT_SPAN_MS = 3_600_000;
/** Never more windows than this, however short: an hour of 1 s windows. */
const MAX_RECENT_WINDOWS = 3600;

/** How many final windows of `windowMs` make the hour the live page draws (120 of 30 s). */
export function countRecentWindows(windowMs: number): number {
  return Math.min(MAX_RECENT_WINDOWS, Math.max(1, Math.ceil(RECENT_SPAN_MS / windowMs)));
}

/** The windows kept unless told otherwise: an hour of the default 30 s windows. */
const DEFAULT_RECENT_WINDOWS = countRecentWindows(30_000);
/** The span events/s is averaged over. */
const RATE_SPAN_S = 10;

/** Something that wants to hear of changes as they happen (the page's event stream, metrics). */
export interface TelemetryListener {
  /** Windows were handed to the sink (final ones, and rewrites of ones still open to late events). */
  onWindows?(windows: readonly WindowView[]): void;
  /** A write landed, after `durationMs`. */
  onWrite?(durationMs: number): void;
  /** A sink error of this kind (see the sink's classification). */
  onSinkError?(kind: string): void;
}

/** What the run lends the telemetry to read on demand. */
export interface RunProbe {
  /** The newest event time seen (Unix ms), or null before the first. */
  newestEventMs(): number | null;
  /** Windows holding counts that are not final yet. */
  openWindows(): WindowSnapshot[];
  /** Windows the sink holds unwritten. */
  backlog(): number;
}

/**
 * Windows may wait this long for their write before the run is no longer "ready": a live
 * write lands within a few seconds, so half a minute means Redis is away or far behind.
 */
export const READY_WRITE_LAG_MS = 30_000;

/** Whether the run does its job now, and why not when it does not (GET /readyz). */
export interface Readiness {
  ready: boolean;
  reason: string;
}

/** A short note of what the run waits for, when it waits. */
export type WaitingFor = "standby" | "redis" | "backoff" | "backpressure" | null;

/** The telemetry of one process (several runs of the pipeline, after a failover, share it). */
export class Telemetry {
  readonly stats: RunStats = createStats();
  readonly reconnects: Record<ReconnectCause, number> = { drop: 0, idle: 0, "429": 0, "5xx": 0, "400": 0, network: 0, other: 0 };
  readonly sinkErrors = new Map<string, number>();
  readonly startedAt: number;
  /** Rewrites of windows not final yet (final ones are counted in stats.windowsWritten). */
  provisionalWrites = 0;
  writes = 0;
  lastWriteAt: number | null = null;
  streamConnected = false;
  sinkWaiting = false;
  /** Since when (Unix ms) a write has had no answer, as the sink says once it is long (null: none is). */
  slowWriteSince: number | null = null;
  /** Standing by for another instance's lock (--standby). */
  standingBy = false;
  backpressure = false;
  backoffUntil: number | null = null;
  /** Why every event is being dropped (all dated past --max-ahead), or null; set by the run. */
  droppingAll: () => string | null = () => null;
  /**
   * Why the last attempt to read the stream failed (`cannot reach … (ENOTFOUND …)`, `answered
   * HTTP 503`, a wrong content type), for /readyz and the page; null after a clean drop.
   */
  lastStreamError: string | null = null;
  /**
   * Resolves once the run has reached its store: the sink opened (connected, its database and
   * prefix proven, the lock taken) or stands by for the lock. What reads the store on its own
   * (the live page's past) waits for it, so that a store the run cannot use is said once, by
   * the run, not a second time by the reader.
   */
  readonly storeReached: Promise<void>;
  private reachStore: () => void = () => undefined;
  private probe: RunProbe | undefined;
  private readonly listeners = new Set<TelemetryListener>();
  private readonly recent: WindowView[] = [];
  private readonly incomplete = new Set<number>();
  /** stats.events at each of the last RATE_SPAN_S + 1 seconds (sampled by `tick`). */
  private readonly eventSamples: number[] = [];

  /**
   * @param now the clock (tests pass their own)
   * @param keep final windows kept for the page: countRecentWindows of the run's window length
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly keep: number = DEFAULT_RECENT_WINDOWS,
  ) {
    this.startedAt = now();
    this.storeReached = new Promise((resolve) => (this.reachStore = resolve));
  }

  /** The run tells where to read what it knows (the newest event time, the open windows). */
  attach(probe: RunProbe): void {
    this.probe = probe;
  }

  subscribe(listener: TelemetryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once a second: samples the event counter for the rate. */
  tick(): void {
    this.eventSamples.push(this.stats.events);
    if (this.eventSamples.length > RATE_SPAN_S + 1) this.eventSamples.shift();
  }

  /** Events per second over the last ten seconds (fewer at start). */
  eventsPerSecond(): number {
    const first = this.eventSamples[0];
    const last = this.eventSamples[this.eventSamples.length - 1];
    if (first === undefined || last === undefined || this.eventSamples.length < 2) return 0;
    return (last - first) / (this.eventSamples.length - 1);
  }

  /** Seconds between now and the newest event time seen; null before the first event. */
  lagSeconds(): number | null {
    const newest = this.probe?.newestEventMs() ?? null;
    return newest === null ? null : Math.max(0, (this.now() - newest) / 1000);
  }

  openWindows(): WindowView[] {
    return (this.probe?.openWindows() ?? []).map((w) => ({ ...w, incomplete: this.incomplete.has(w.startMs) }));
  }

  backlog(): number {
    return this.probe?.backlog() ?? 0;
  }

  /** The last final windows (oldest first, at most `keep`). */
  recentWindows(): readonly WindowView[] {
    return this.recent;
  }

  /** What the run is waiting for right now, if anything. */
  waitingFor(): WaitingFor {
    if (this.standingBy) return "standby";
    if (this.sinkWaiting || this.slowWriteSince !== null) return "redis";
    if (this.backpressure) return "backpressure";
    if (this.backoffUntil !== null && this.backoffUntil > this.now()) return "backoff";
    return null;
  }

  /**
   * Ready when the stream is connected and the sink is current: not waiting for Redis, and no
   * window has waited for its write longer than READY_WRITE_LAG_MS.
   */
  readiness(): Readiness {
    if (this.standingBy) return { ready: false, reason: "standing by for another instance's lock" };
    if (!this.streamConnected) return { ready: false, reason: this.describeStreamDown() };
    if (this.sinkWaiting) return { ready: false, reason: "waiting for Redis" };
    if (this.slowWriteSince !== null) return { ready: false, reason: `a write to Redis has had no answer for ${Math.round((this.now() - this.slowWriteSince) / 1000)}s` };
    const dropping = this.droppingAll();
    if (dropping !== null) return { ready: false, reason: dropping };
    const since = this.lastWriteAt ?? this.startedAt;
    if (this.backlog() > 0 && this.now() - since > READY_WRITE_LAG_MS) return { ready: false, reason: `${this.backlog()} windows wait for their write` };
    return { ready: true, reason: "the stream is connected and writes are current" };
  }

  /** Why the stream is not connected: not yet, never yet (retrying), or no more (reconnecting), with the last error. */
  private describeStreamDown(): string {
    if (this.backoffUntil === null) return "the stream is not connected yet";
    const [state, next] = this.stats.connections === 0 ? ["the stream has not connected yet", "retrying"] : ["the stream is disconnected", "reconnecting"];
    return this.lastStreamError === null ? `${state}; ${next}` : `${state}: ${this.lastStreamError}; ${next}`;
  }

  /** Windows handed to the sink, with the starts known to miss events. */
  recordWindows(windows: readonly WindowSnapshot[], incomplete: readonly number[]): void {
    const oldest = this.recent[0]?.startMs ?? Number.NEGATIVE_INFINITY;
    const newest = this.recent[this.recent.length - 1]?.startMs ?? Number.NEGATIVE_INFINITY;
    for (const start of incomplete) {
      // A late event marks a window already shown (marked there too), or one older than the page keeps (dropped).
      if (start < oldest) continue;
      this.incomplete.add(start);
      const shown = start <= newest ? this.recent.find((w) => w.startMs === start) : undefined;
      if (shown !== undefined) shown.incomplete = true;
    }
    const views = windows.map((w) => ({ ...w, incomplete: this.incomplete.has(w.startMs) }));
    for (const view of views) {
      if (!view.final) continue;
      this.recent.push(view);
      if (this.recent.length > this.keep) this.incomplete.delete(this.recent.shift()?.startMs ?? Number.NaN);
    }
    for (const listener of this.listeners) listener.onWindows?.(views);
  }

  /** Windows read back from storage at start (the page's history), oldest first. */
  seedWindows(windows: readonly WindowView[]): void {
    const known = new Set(this.recent.map((w) => w.startMs));
    const merged = [...windows.filter((w) => !known.has(w.startMs)), ...this.recent].sort((a, b) => a.startMs - b.startMs);
    this.recent.splice(0, this.recent.length, ...merged.slice(-this.keep));
    for (const w of windows) if (w.incomplete) this.incomplete.add(w.startMs);
  }

  /** The sink has opened: the run uses its store from now on. */
  onStoreReached(): void {
    this.reachStore();
  }

  onConnected(): void {
    this.streamConnected = true;
    this.backoffUntil = null;
  }

  /** @param error why the attempt failed, in words; absent for a clean end of the stream */
  onDisconnected(cause: ReconnectCause, delayMs: number, error?: string): void {
    this.streamConnected = false;
    this.lastStreamError = error ?? null;
    this.reconnects[cause]++;
    this.backoffUntil = this.now() + delayMs;
  }

  /** The sink's observer: writes, errors and waiting, as the sink reports them. */
  readonly sinkObserver: SinkObserver = {
    onWrite: (durationMs, final, provisional) => {
      this.writes++;
      this.stats.windowsWritten += final;
      this.provisionalWrites += provisional;
      this.lastWriteAt = this.now();
      this.sinkWaiting = false;
      for (const listener of this.listeners) listener.onWrite?.(durationMs);
    },
    onError: (kind) => {
      this.sinkErrors.set(kind, (this.sinkErrors.get(kind) ?? 0) + 1);
      for (const listener of this.listeners) listener.onSinkError?.(kind);
    },
    onWaiting: (waiting) => {
      this.sinkWaiting = waiting;
    },
    onStandby: (standing) => {
      this.standingBy = standing;
      // Standing by, the sink has proven the store (it reads the lock there).
      if (standing) this.reachStore();
    },
    onSlowWrite: (sinceMs) => {
      this.slowWriteSince = sinceMs;
    },
  };
}
