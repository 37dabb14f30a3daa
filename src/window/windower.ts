/**
 * Tumbling windows over event time, with allowed lateness and replay bookkeeping.
 * Pure: no I/O, no clock; every time is an argument, in Unix milliseconds.
 *
 * The stream's time is decided by the bulk of recent events (watermark.ts), so one mis-dated
 * event cannot move it. A window [S, S+W) is *due* once the stream's time passes its end, and
 * *final* once the stream's time minus the lateness passes its end. Only final windows are
 * dropped from memory; an event whose window is already final is late, not counted, and its
 * window is marked incomplete (unless it is a replay of an event read before a restart).
 */
import { ViewCounts, type CountedWindow } from "./counts.ts";
import { detachString, resolveWindowCeil, resolveWindowStart } from "./align.ts";
import { HISTORY_GAP_MS, listQuietStarts, resolveGapMarks } from "./history.ts";
import { RecentIds } from "./recent.ts";
import { ReplayLedger } from "./replay.ts";
import { StreamClock } from "./watermark.ts";
import type { AddOutcome, Checkpoint, ResumePoint, WindowBatch, Windower, WindowerOptions, WindowSnapshot } from "./types.ts";

export type { Windower, WindowerOptions };

/** Creates a Windower, fresh or restored from a checkpoint. */
export function createWindower(options: WindowerOptions): Windower {
  return new TumblingWindows(options);
}

/** A position to resume from, with the order in which it was taken (earliest wins) and the events read before it. */
interface Mark {
  resume: ResumePoint;
  seq: number;
  read: number;
}

interface OpenWindow extends Mark, CountedWindow {
  dirty: boolean;
  written: boolean;
}

class TumblingWindows implements Windower {
  private readonly windowMs: number;
  private readonly latenessMs: number;
  private readonly views: ViewCounts;
  private readonly untilMs: number;
  private readonly clock: StreamClock;
  private finalMs: number;
  private lastId: string | null;
  private sinceMs: number | null;
  /** Windows starting before this miss events. Live starts learn it from the first event; history starts know it now. */
  private originMs: number | null;
  /** A `?since=` position asked for, until the first event shows whether the server had history there. */
  private gapFrom: { ms: number; boundMs: number } | null = null;
  private gap: { fromMs: number; toMs: number } | null = null;
  /** Where the first event at or after --until was read: a later run with a later --until must read it again. */
  private untilResume: Mark | null = null;
  private readonly incomplete = new Set<number>();
  private readonly open = new Map<number, OpenWindow>();
  private readonly recent: RecentIds;
  /**
   * The first window start not yet handed out as final. Windows from here on that go final
   * without an event are handed out as quiet (empty) windows, so that "nothing counted" is told
   * apart from "not running". On a fresh start, null until a window opens, then the earliest.
   */
  private quietFrom: number | null;
  /** Late events mark their window incomplete from here on: windows this prefix has handed out. */
  private markFromMs: number | null;
  private seq = 0;
  private readonly replays: ReplayLedger;
  private changed = false;

  constructor(options: WindowerOptions) {
    const saved = options.checkpoint;
    this.windowMs = options.windowMs;
    this.latenessMs = options.latenessMs;
    this.views = new ViewCounts(options.windowMs, options.views);
    this.untilMs = options.untilMs ?? Number.POSITIVE_INFINITY;
    this.recent = new RecentIds(options.recentSize ?? 64, saved?.resume.recent);
    this.clock = new StreamClock(saved ? { timeMs: saved.resume.maxSeenMs, recent: saved.resume.recentTimes ?? [] } : undefined);
    this.finalMs = saved?.finalMs ?? Number.NEGATIVE_INFINITY;
    this.lastId = saved?.resume.id ?? null;
    this.replays = new ReplayLedger(saved?.readAfter ?? 0);
    const since = options.origin?.kind === "since" ? options.origin.sinceMs : null;
    this.sinceMs = saved ? saved.resume.sinceMs : since;
    this.originMs = saved ? saved.originMs : since === null ? null : resolveWindowCeil(since, this.windowMs);
    this.quietFrom = saved?.finalMs ?? null;
    this.markFromMs = saved ? saved.originMs : null;
    // A position by time (no id) is checked against the first event: the server may lack that history.
    if (this.lastId === null && this.sinceMs !== null) this.gapFrom = { ms: this.sinceMs, boundMs: HISTORY_GAP_MS };
  }

  /** The position just before the event being added. */
  private resumeBefore(): ResumePoint {
    const time = this.clock.save();
    return {
      id: this.lastId === null ? null : detachString(this.lastId),
      sinceMs: this.lastId === null ? this.sinceMs : null,
      maxSeenMs: time.timeMs,
      recentTimes: time.recent,
      recent: this.recent.list().map(detachString),
    };
  }

  /** A live start joins mid-stream: events sent before we connected may be dated up to the lateness after the first we see. */
  private learnOrigin(timeMs: number): void {
    if (this.originMs === null) this.originMs = resolveWindowCeil(timeMs + this.latenessMs + 1, this.windowMs);
  }

  private markIncomplete(startMs: number): void {
    if (this.incomplete.has(startMs)) return;
    this.incomplete.add(startMs);
    this.changed = true;
  }

  add(timeMs: number, members: string | readonly string[]): AddOutcome {
    const windowMs = this.windowMs;
    const startMs = timeMs - (((timeMs % windowMs) + windowMs) % windowMs);
    const endMs = startMs + windowMs;
    // The position before this event, taken only where it may be kept (a window opens, --until is met);
    // once done, a run stops at the end of its chunk: later events mark nothing, wherever chunks end.
    const keeps = timeMs >= this.untilMs ? this.untilResume === null && endMs > this.finalMs : endMs > this.finalMs && !this.open.has(startMs);
    const before = keeps ? this.resumeBefore() : null;
    const done = this.isDone();
    const streamMs = this.clock.advance(timeMs);
    if (this.gapFrom !== null) this.markGap(timeMs);
    // Replay after a restart: this window was final and written before the restart.
    if (endMs <= this.finalMs) return this.refuseLate(startMs, done);
    if (timeMs >= this.untilMs) {
      if (before !== null) this.untilResume ??= { resume: before, seq: this.seq++, read: this.replays.read };
      return "after-until";
    }
    if (endMs <= streamMs - this.latenessMs) return this.refuseLate(startMs, done);
    this.learnOrigin(timeMs);
    // A live start has no position before its first event: resuming from that event's time
    // (rather than live) lets a restart recount every window after the origin in full.
    if (this.lastId === null && this.sinceMs === null) {
      this.sinceMs = timeMs;
      if (before !== null) before.sinceMs = timeMs;
    }
    let window = this.open.get(startMs);
    if (window === undefined) window = this.openWindow(startMs, before ?? this.resumeBefore());
    this.views.add(window.counts, members);
    window.total++;
    window.dirty = true;
    return "counted";
  }

  /** An event for a final window: a replay (read before a restart or a refusal), or late: its window misses it. */
  private refuseLate(startMs: number, done: boolean): AddOutcome {
    if (this.replays.isReplay(this.clock.timeMs)) return "final";
    if (!done && this.markFromMs !== null && startMs >= Math.max(this.markFromMs, this.originMs ?? this.markFromMs)) this.markIncomplete(startMs);
    return "late";
  }

  /** The first event after a position asked by time: marks the windows its history lacks (see resolveGapMarks). */
  private markGap(timeMs: number): void {
    const asked = this.gapFrom ?? { ms: timeMs, boundMs: 0 };
    this.gapFrom = null;
    const marks = resolveGapMarks(asked.ms, asked.boundMs, timeMs, { windowMs: this.windowMs, latenessMs: this.latenessMs, untilMs: this.untilMs, finalMs: this.finalMs, originMs: this.originMs });
    if (marks === null) return;
    for (let s = marks.fromMs; s < marks.beforeMs; s += this.windowMs) this.markIncomplete(s);
    // Handed out, quiet when nothing else comes, so that a reader sees them as known to miss events.
    if (this.quietFrom === null || this.quietFrom > marks.fromMs) this.quietFrom = marks.fromMs;
    this.markFromMs ??= marks.fromMs;
    this.gap = marks.gap;
  }

  private openWindow(startMs: number, resume: ResumePoint): OpenWindow {
    const window: OpenWindow = { startMs, counts: this.views.create(), total: 0, dirty: false, written: false, resume, seq: this.seq++, read: this.replays.read };
    this.open.set(startMs, window);
    // The earliest window seen so far; windows before the saved final boundary never open.
    this.quietFrom = this.quietFrom === null ? startMs : Math.min(this.quietFrom, startMs);
    this.markFromMs = Math.min(this.markFromMs ?? startMs, startMs);
    if (this.originMs !== null && startMs < this.originMs) this.markIncomplete(startMs);
    return window;
  }

  observe(timeMs: number): void {
    this.clock.advance(timeMs);
    if (this.gapFrom !== null) this.markGap(timeMs);
    this.learnOrigin(timeMs);
  }

  advance(id: string | undefined, metaId: string | undefined): void {
    this.replays.onRead();
    if (id !== undefined && id !== "") {
      if (id !== this.lastId) this.changed = true;
      this.lastId = id;
    }
    if (metaId !== undefined) this.recent.push(metaId);
  }

  drain(rewrite = true): WindowBatch | null {
    const windows = this.collectWindows(rewrite);
    const watermark = this.clock.timeMs - this.latenessMs;
    if (Number.isFinite(watermark)) {
      // Windows from --until on are not counted by this run, so they are not final for the next.
      const newFinal = Math.min(resolveWindowStart(watermark, this.windowMs), resolveWindowCeil(this.untilMs, this.windowMs));
      // Nor are those before the first it claims: a resume hands out quiet windows from the saved boundary.
      if (newFinal > this.finalMs && this.quietFrom !== null && newFinal >= this.quietFrom) {
        this.finalMs = newFinal;
        this.changed = true;
      }
      this.addQuietWindows(windows);
    }
    if (windows.length === 0 && !this.changed) return null;
    this.changed = false;
    const batch: WindowBatch = { windows, incomplete: [...this.incomplete].sort((a, b) => a - b), checkpoint: this.checkpoint() };
    if (this.gap !== null) batch.gap = this.gap;
    this.gap = null;
    this.incomplete.clear();
    return batch;
  }

  /** Windows newly due or final (final ones leave memory), oldest first. */
  private collectWindows(rewrite: boolean): WindowSnapshot[] {
    const streamMs = this.clock.timeMs;
    const watermark = streamMs - this.latenessMs;
    const windows: WindowSnapshot[] = [];
    for (const startMs of [...this.open.keys()].sort((a, b) => a - b)) {
      const window = this.open.get(startMs);
      if (window === undefined) continue;
      const endMs = startMs + this.windowMs;
      const isFinal = endMs <= watermark;
      if (isFinal || (window.dirty && endMs <= streamMs && (rewrite || !window.written))) {
        windows.push(this.views.snapshot(window, isFinal));
        window.dirty = false;
        window.written = true;
      }
      if (isFinal) this.open.delete(startMs);
    }
    return windows;
  }

  /** Hands out, as empty final windows, the windows up to finalMs that never opened (see listQuietStarts). */
  private addQuietWindows(windows: WindowSnapshot[]): void {
    const from = this.quietFrom;
    if (from === null || !Number.isFinite(this.finalMs) || from >= this.finalMs) return;
    this.quietFrom = this.finalMs;
    const handed = new Set(windows.map((w) => w.startMs));
    for (const startMs of listQuietStarts(from, this.finalMs, this.windowMs, (s) => handed.has(s) || this.open.has(s))) {
      windows.push(this.views.snapshot({ startMs, total: 0, counts: [] }, true));
      if (this.originMs !== null && startMs < this.originMs) this.markIncomplete(startMs);
    }
    windows.sort((a, b) => a.startMs - b.startMs);
  }

  newestEventMs(): number | null {
    return Number.isFinite(this.clock.timeMs) ? this.clock.timeMs : null;
  }

  openWindows(): WindowSnapshot[] {
    const open = [...this.open.values()].filter((w) => w.total > 0).sort((a, b) => a.startMs - b.startMs);
    return open.map((w) => this.views.snapshot(w, false));
  }

  /** The saved position lies before the first event of every window still open (the earliest first arrival). */
  private checkpoint(): Checkpoint {
    let earliest: Mark | undefined = this.untilResume ?? undefined;
    for (const window of this.open.values()) if (earliest === undefined || window.seq < earliest.seq) earliest = window;
    return {
      resume: earliest ? earliest.resume : this.resumeBefore(),
      readAfter: earliest ? this.replays.readAfter(earliest.read) : 0,
      finalMs: Number.isFinite(this.finalMs) ? this.finalMs : null,
      originMs: this.originMs,
      windowMs: this.windowMs,
      latenessMs: this.latenessMs,
    };
  }

  isDone(): boolean {
    return Number.isFinite(this.untilMs) && this.clock.timeMs - this.latenessMs >= resolveWindowCeil(this.untilMs, this.windowMs);
  }

  position(): { id: string | null; sinceMs: number | null } {
    return { id: this.lastId, sinceMs: this.lastId === null ? this.sinceMs : null };
  }

  recentIds(): string[] {
    return this.recent.list();
  }

  restartAfterGap(): number {
    // Windows the watermark has passed hold every event they will ever get: they stay, to be drained
    // as final (their events, read again until the stream's time passes where it was, are replays).
    // The others are dropped and recounted from the first window that is not final.
    const windowMs = this.windowMs;
    const watermark = this.clock.timeMs - this.latenessMs;
    const finalMs = Number.isFinite(this.finalMs) ? this.finalMs : null;
    const from = Number.isFinite(watermark)
      ? Math.max(resolveWindowStart(watermark, windowMs), finalMs ?? Number.NEGATIVE_INFINITY)
      : (finalMs ?? this.sinceMs ?? 0);
    for (const startMs of [...this.open.keys()]) if (startMs + windowMs > watermark) this.open.delete(startMs);
    this.untilResume = null;
    this.lastId = null;
    this.sinceMs = from;
    this.gapFrom = { ms: from, boundMs: 1000 };
    this.replays.onRefused(this.clock.timeMs);
    this.changed = true;
    return from;
  }
}
