/**
 * Tumbling windows over event time, with allowed lateness and replay bookkeeping.
 * Pure: no I/O, no clock; every time is an argument, in Unix milliseconds.
 *
 * A window [S, S+W) is *due* once the newest event time seen passes its end, and *final*
 * once the newest event time minus the lateness passes its end. Only final windows are
 * dropped from memory; an event whose window is already final is late and not counted.
 */
import { detachString, resolveWindowCeil, resolveWindowStart } from "./align.ts";
import { RecentIds } from "./recent.ts";
import type { AddOutcome, Checkpoint, ResumePoint, WindowBatch, Windower, WindowerOptions, WindowSnapshot } from "./types.ts";

interface OpenWindow {
  startMs: number;
  counts: Map<string, number>;
  total: number;
  dirty: boolean;
  written: boolean;
  resume: ResumePoint;
  seq: number;
}

/** The longest run of quiet windows handed out at once: a week of 30 s windows (see addQuietWindows). */
const MAX_QUIET_WINDOWS = 20_160;

export type { Windower, WindowerOptions };

/** Creates a Windower, fresh or restored from a checkpoint. */
export function createWindower(options: WindowerOptions): Windower {
  return new TumblingWindows(options);
}

/** A position to resume from, with the order in which it was taken (earliest wins). */
interface Mark {
  resume: ResumePoint;
  seq: number;
}

class TumblingWindows implements Windower {
  private readonly windowMs: number;
  private readonly latenessMs: number;
  private readonly untilMs: number;
  private maxSeen: number;
  private finalMs: number;
  private lastId: string | null;
  private sinceMs: number | null;
  /** Windows starting before this miss events. Live starts learn it from the first event; history starts know it now. */
  private originMs: number | null;
  private gapFromMs: number | null = null;
  /**
   * Where the first event at or after --until was read: it was not counted, so a later run with a
   * later --until must read it again, and the saved position may not pass it.
   */
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
  private seq = 0;
  private changed = false;

  constructor(options: WindowerOptions) {
    const saved = options.checkpoint;
    this.windowMs = options.windowMs;
    this.latenessMs = options.latenessMs;
    this.untilMs = options.untilMs ?? Number.POSITIVE_INFINITY;
    this.recent = new RecentIds(options.recentSize ?? 64, saved?.resume.recent);
    this.maxSeen = saved?.resume.maxSeenMs ?? Number.NEGATIVE_INFINITY;
    this.finalMs = saved?.finalMs ?? Number.NEGATIVE_INFINITY;
    this.lastId = saved?.resume.id ?? null;
    const since = options.origin?.kind === "since" ? options.origin.sinceMs : null;
    this.sinceMs = saved ? saved.resume.sinceMs : since;
    this.originMs = saved ? saved.originMs : since === null ? null : resolveWindowCeil(since, this.windowMs);
    this.quietFrom = saved?.finalMs ?? null;
  }

  /** The position just before the event being added; `before` is the newest time seen until then. */
  private resumeBefore(before: number): ResumePoint {
    return {
      id: this.lastId === null ? null : detachString(this.lastId),
      sinceMs: this.lastId === null ? this.sinceMs : null,
      maxSeenMs: Number.isFinite(before) ? before : null,
      recent: this.recent.list().map(detachString),
    };
  }

  /**
   * A live start joins mid-stream. Events sent before we connected may be dated up to the
   * lateness after the first one we see (the stream is out of order), so every window up to
   * there may miss some.
   */
  private learnOrigin(timeMs: number): void {
    if (this.originMs === null) this.originMs = resolveWindowCeil(timeMs + this.latenessMs + 1, this.windowMs);
  }

  private markIncomplete(startMs: number): void {
    if (!this.incomplete.has(startMs)) {
      this.incomplete.add(startMs);
      this.changed = true;
    }
  }

  add(timeMs: number, serverName: string): AddOutcome {
    const windowMs = this.windowMs;
    const before = this.maxSeen;
    if (timeMs > this.maxSeen) this.maxSeen = timeMs;
    const startMs = timeMs - (((timeMs % windowMs) + windowMs) % windowMs);
    const endMs = startMs + windowMs;
    // Replay after a restart: this window was final and written before the restart.
    if (endMs <= this.finalMs) return "final";
    if (timeMs >= this.untilMs) {
      this.untilResume ??= { resume: this.resumeBefore(before), seq: this.seq++ };
      return "after-until";
    }
    if (endMs <= this.maxSeen - this.latenessMs) return "late";
    this.learnOrigin(timeMs);
    // A live start has no position before its first event: resuming from that event's time
    // (rather than live) lets a restart recount every window after the origin in full.
    if (this.lastId === null && this.sinceMs === null) this.sinceMs = timeMs;
    if (this.gapFromMs !== null) this.markGap(timeMs, startMs);
    let window = this.open.get(startMs);
    if (window === undefined) window = this.openWindow(startMs, before);
    window.counts.set(serverName, (window.counts.get(serverName) ?? 0) + 1);
    window.total++;
    window.dirty = true;
    return "counted";
  }

  /**
   * First event after a refused resume: windows between the refusal point and here miss events,
   * and so may later ones: the stream is out of order, and a lost event may be dated up to the
   * lateness after this one's window without having made it late.
   */
  private markGap(timeMs: number, startMs: number): void {
    const gapFromMs = this.gapFromMs ?? timeMs;
    if (timeMs > gapFromMs + 1000) {
      const markBeforeMs = Math.min(startMs + this.windowMs + this.latenessMs, this.untilMs);
      for (let s = resolveWindowStart(gapFromMs, this.windowMs); s < markBeforeMs; s += this.windowMs) this.markIncomplete(s);
    }
    this.gapFromMs = null;
  }

  private openWindow(startMs: number, before: number): OpenWindow {
    const window: OpenWindow = { startMs, counts: new Map(), total: 0, dirty: false, written: false, resume: this.resumeBefore(before), seq: this.seq++ };
    this.open.set(startMs, window);
    // The earliest window seen so far; windows before the saved final boundary never open.
    this.quietFrom = this.quietFrom === null ? startMs : Math.min(this.quietFrom, startMs);
    if (this.originMs !== null && startMs < this.originMs) this.markIncomplete(startMs);
    return window;
  }

  observe(timeMs: number): void {
    if (timeMs > this.maxSeen) this.maxSeen = timeMs;
    this.learnOrigin(timeMs);
  }

  advance(id: string | undefined, metaId: string | undefined): void {
    if (id !== undefined && id !== "") {
      if (id !== this.lastId) this.changed = true;
      this.lastId = id;
    }
    if (metaId !== undefined) this.recent.push(metaId);
  }

  drain(rewrite = true): WindowBatch | null {
    const windows = this.collectWindows(rewrite);
    const watermark = this.maxSeen - this.latenessMs;
    if (Number.isFinite(watermark)) {
      // Windows from --until on are not counted by this run, so they are not final for the next.
      const newFinal = Math.min(resolveWindowStart(watermark, this.windowMs), resolveWindowCeil(this.untilMs, this.windowMs));
      if (newFinal > this.finalMs) {
        this.finalMs = newFinal;
        this.changed = true;
      }
      this.addQuietWindows(windows);
    }
    if (windows.length === 0 && !this.changed) return null;
    this.changed = false;
    const batch: WindowBatch = {
      windows,
      incomplete: [...this.incomplete].sort((a, b) => a - b),
      checkpoint: this.checkpoint(),
    };
    this.incomplete.clear();
    return batch;
  }

  /** Windows newly due or final (final ones leave memory), oldest first. */
  private collectWindows(rewrite: boolean): WindowSnapshot[] {
    const watermark = this.maxSeen - this.latenessMs;
    const windows: WindowSnapshot[] = [];
    for (const startMs of [...this.open.keys()].sort((a, b) => a - b)) {
      const window = this.open.get(startMs);
      if (window === undefined) continue;
      const endMs = startMs + this.windowMs;
      const isFinal = endMs <= watermark;
      if (isFinal || (window.dirty && endMs <= this.maxSeen && (rewrite || !window.written))) {
        windows.push({ startMs, endMs, total: window.total, counts: new Map(window.counts), final: isFinal });
        window.dirty = false;
        window.written = true;
      }
      if (isFinal) this.open.delete(startMs);
    }
    return windows;
  }

  /**
   * Hands out, as empty final windows, the windows up to finalMs that never opened. A gap
   * longer than MAX_QUIET_WINDOWS is an outage, not a quiet spell (the stream's history is a
   * week): it is skipped, as if not running.
   */
  private addQuietWindows(windows: WindowSnapshot[]): void {
    const from = this.quietFrom;
    if (from === null || !Number.isFinite(this.finalMs) || from >= this.finalMs) return;
    this.quietFrom = this.finalMs;
    if ((this.finalMs - from) / this.windowMs > MAX_QUIET_WINDOWS) return;
    const handed = new Set(windows.map((w) => w.startMs));
    for (let startMs = from; startMs + this.windowMs <= this.finalMs; startMs += this.windowMs) {
      if (handed.has(startMs) || this.open.has(startMs)) continue;
      windows.push({ startMs, endMs: startMs + this.windowMs, total: 0, counts: new Map(), final: true });
      if (this.originMs !== null && startMs < this.originMs) this.markIncomplete(startMs);
    }
    windows.sort((a, b) => a.startMs - b.startMs);
  }

  newestEventMs(): number | null {
    return Number.isFinite(this.maxSeen) ? this.maxSeen : null;
  }

  openWindows(): WindowSnapshot[] {
    return [...this.open.values()]
      .filter((w) => w.total > 0)
      .sort((a, b) => a.startMs - b.startMs)
      .map((w) => ({ startMs: w.startMs, endMs: w.startMs + this.windowMs, total: w.total, counts: new Map(w.counts), final: false }));
  }

  /** The saved position lies before the first event of every window still open (the earliest first arrival). */
  private checkpoint(): Checkpoint {
    let earliest: Mark | undefined = this.untilResume ?? undefined;
    for (const window of this.open.values()) if (earliest === undefined || window.seq < earliest.seq) earliest = window;
    return {
      resume: earliest ? earliest.resume : this.resumeBefore(this.maxSeen),
      finalMs: Number.isFinite(this.finalMs) ? this.finalMs : null,
      originMs: this.originMs,
      windowMs: this.windowMs,
      latenessMs: this.latenessMs,
    };
  }

  isDone(): boolean {
    if (!Number.isFinite(this.untilMs)) return false;
    const lastEnd = resolveWindowCeil(this.untilMs, this.windowMs);
    return this.maxSeen - this.latenessMs >= lastEnd;
  }

  position(): { id: string | null; sinceMs: number | null } {
    return { id: this.lastId, sinceMs: this.lastId === null ? this.sinceMs : null };
  }

  recentIds(): string[] {
    return this.recent.list();
  }

  restartAfterGap(): number {
    // Windows the watermark has passed hold every event they will ever get (all were read before
    // the refusal): they stay, to be drained as final, and their replayed events count as late.
    // The others are dropped and recounted from the first window that is not final.
    const windowMs = this.windowMs;
    const watermark = this.maxSeen - this.latenessMs;
    const finalMs = Number.isFinite(this.finalMs) ? this.finalMs : null;
    const from = Number.isFinite(watermark)
      ? Math.max(resolveWindowStart(watermark, windowMs), finalMs ?? Number.NEGATIVE_INFINITY)
      : (finalMs ?? this.sinceMs ?? 0);
    for (const startMs of [...this.open.keys()]) if (startMs + windowMs > watermark) this.open.delete(startMs);
    this.untilResume = null;
    this.lastId = null;
    this.sinceMs = from;
    this.gapFromMs = from;
    this.changed = true;
    return from;
  }
}
