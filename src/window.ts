/**
 * Tumbling windows over event time, with allowed lateness and replay bookkeeping.
 * Pure: no I/O, no clock; every time is an argument, in Unix milliseconds.
 *
 * A window [S, S+W) is *due* once the newest event time seen passes its end, and *final*
 * once the newest event time minus the lateness passes its end. Only final windows are
 * dropped from memory; an event whose window is already final is late and not counted.
 */

/** Where the stream can be resumed so that replay reproduces every non-final window. */
export interface ResumePoint {
  /** SSE id of the last event before this point; null means "use sinceMs, else live". */
  id: string | null;
  /** Start of history to request when there is no id. */
  sinceMs: number | null;
  /** Newest event time seen before this point; null when none was seen. */
  maxSeenMs: number | null;
  /** meta.id of the last events before this point, oldest first, to drop repeats. */
  recent: string[];
}

/** The bookkeeping saved with every write, enough to resume exactly. */
export interface Checkpoint {
  resume: ResumePoint;
  /** Every window ending at or before this time is final and written; null when none. */
  finalMs: number | null;
  /** Windows starting before this time miss events (the run's history begins there); null while unknown. */
  originMs: number | null;
  windowMs: number;
  latenessMs: number;
}

/** One window's counts as handed to a sink. */
export interface WindowSnapshot {
  startMs: number;
  endMs: number;
  total: number;
  /** server_name → count, in no particular order. */
  counts: Map<string, number>;
  /** True when no later event can change it. */
  final: boolean;
}

/** What a drain hands to a sink: windows to (re)write whole, and the checkpoint that goes with them. */
export interface WindowBatch {
  windows: WindowSnapshot[];
  /** Window starts known to miss events. */
  incomplete: number[];
  checkpoint: Checkpoint;
}

/** What happened to one event offered to the windower. */
export type AddOutcome = "counted" | "late" | "final" | "after-until";

/** How a run begins when there is no checkpoint. */
export type Origin = { kind: "live" } | { kind: "since"; sinceMs: number };

interface OpenWindow {
  startMs: number;
  counts: Map<string, number>;
  total: number;
  dirty: boolean;
  written: boolean;
  resume: ResumePoint;
  seq: number;
}

/** Options of createWindower. */
export interface WindowerOptions {
  windowMs: number;
  latenessMs: number;
  /** Events at or after this time are not counted; null for none. */
  untilMs?: number | null;
  /** State to resume from; absent for a fresh start. */
  checkpoint?: Checkpoint;
  /** How a fresh start begins (ignored with a checkpoint). */
  origin?: Origin;
  /** How many recent meta.ids to remember for de-duplication after a resume. */
  recentSize?: number;
}

/**
 * A copy of `text` that does not keep alive the (much larger) network chunk it was sliced
 * from: anything the windower keeps beyond the current event goes through here.
 */
export function detachString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** Start of the window that holds `timeMs`. */
export function resolveWindowStart(timeMs: number, windowMs: number): number {
  return Math.floor(timeMs / windowMs) * windowMs;
}

/** The first window boundary at or after `timeMs`. */
export function resolveWindowCeil(timeMs: number, windowMs: number): number {
  return Math.ceil(timeMs / windowMs) * windowMs;
}

/** The windowing state machine. See the module comment for the rules. */
export interface Windower {
  /** Offers one valid event: its time and server_name. Call `advance` after every event, valid or not. */
  add(timeMs: number, serverName: string): AddOutcome;
  /** Notes the time of an event that is not counted (filtered out), so windows still close on time. */
  observe(timeMs: number): void;
  /** Records that the stream has moved past the event with this SSE id (and meta.id, when known). */
  advance(id: string | undefined, metaId: string | undefined): void;
  /**
   * Collects windows newly due or final, plus the checkpoint to save with them; null when nothing
   * changed. Windows already written and changed since are included only when `rewrite` is set.
   */
  drain(rewrite?: boolean): WindowBatch | null;
  /** True once every window that starts before `untilMs` is final. */
  isDone(): boolean;
  /** The position to resume from after a reconnect in this process (the last event seen). */
  position(): { id: string | null; sinceMs: number | null };
  /** The meta.ids recently seen, to recognise events the server sends again. */
  recentIds(): string[];
  /**
   * The server refused our position: drop non-final windows and go on from the end of the
   * newest final window. Returns the time to request with `?since=`.
   */
  restartAfterGap(): number;
}

/** Creates a Windower, fresh or restored from a checkpoint. */
export function createWindower(options: WindowerOptions): Windower {
  const windowMs = options.windowMs;
  const latenessMs = options.latenessMs;
  const untilMs = options.untilMs ?? Number.POSITIVE_INFINITY;
  const recentSize = options.recentSize ?? 64;
  const saved = options.checkpoint;

  let maxSeen = saved?.resume.maxSeenMs ?? Number.NEGATIVE_INFINITY;
  let finalMs = saved?.finalMs ?? Number.NEGATIVE_INFINITY;
  let lastId: string | null = saved?.resume.id ?? null;
  let sinceMs: number | null = saved ? saved.resume.sinceMs : options.origin?.kind === "since" ? options.origin.sinceMs : null;
  // Live starts learn their origin from the first event; history starts know it now.
  let originMs: number | null = saved
    ? saved.originMs
    : options.origin?.kind === "since"
      ? resolveWindowCeil(options.origin.sinceMs, windowMs)
      : null;
  let gapFromMs: number | null = null;
  // Where the first event at or after --until was read: it was not counted, so a later run with a
  // later --until must read it again, and the saved position may not pass it.
  let untilResume: { resume: ResumePoint; seq: number } | null = null;
  const incomplete = new Set<number>();
  const open = new Map<number, OpenWindow>();
  let seq = 0;
  let changed = false;

  const ring: string[] = [];
  let ringHead = 0;
  for (const id of saved?.resume.recent ?? []) pushRecent(id);

  function pushRecent(id: string): void {
    if (ring.length < recentSize) ring.push(id);
    else {
      ring[ringHead] = id;
      ringHead = (ringHead + 1) % recentSize;
    }
  }

  function recentIds(): string[] {
    return ring.length < recentSize ? ring.slice() : [...ring.slice(ringHead), ...ring.slice(0, ringHead)];
  }

  /** The position just before the event being added; `before` is the newest time seen until then. */
  function resumeBefore(before: number): ResumePoint {
    return {
      id: lastId === null ? null : detachString(lastId),
      sinceMs: lastId === null ? sinceMs : null,
      maxSeenMs: Number.isFinite(before) ? before : null,
      recent: recentIds().map(detachString),
    };
  }

  /**
   * A live start joins mid-stream. Events sent before we connected may be dated up to the
   * lateness after the first one we see (the stream is out of order), so every window up to
   * there may miss some.
   */
  function learnOrigin(timeMs: number): void {
    if (originMs === null) originMs = resolveWindowCeil(timeMs + latenessMs + 1, windowMs);
  }

  function markIncomplete(startMs: number): void {
    if (!incomplete.has(startMs)) {
      incomplete.add(startMs);
      changed = true;
    }
  }

  function add(timeMs: number, serverName: string): AddOutcome {
    const before = maxSeen;
    if (timeMs > maxSeen) maxSeen = timeMs;
    const startMs = timeMs - (((timeMs % windowMs) + windowMs) % windowMs);
    const endMs = startMs + windowMs;
    // Replay after a restart: this window was final and written before the restart.
    if (endMs <= finalMs) return "final";
    if (timeMs >= untilMs) {
      untilResume ??= { resume: resumeBefore(before), seq: seq++ };
      return "after-until";
    }
    if (endMs <= maxSeen - latenessMs) return "late";
    learnOrigin(timeMs);
    // A live start has no position before its first event: resuming from that event's time
    // (rather than live) lets a restart recount every window after the origin in full.
    if (lastId === null && sinceMs === null) sinceMs = timeMs;
    if (gapFromMs !== null) {
      // First event after a refused resume: windows between the refusal point and here miss events,
      // and so may later ones: the stream is out of order, and a lost event may be dated up to the
      // lateness after this one's window without having made it late.
      if (timeMs > gapFromMs + 1000) {
        const markBeforeMs = Math.min(startMs + windowMs + latenessMs, untilMs);
        for (let s = resolveWindowStart(gapFromMs, windowMs); s < markBeforeMs; s += windowMs) markIncomplete(s);
      }
      gapFromMs = null;
    }
    let window = open.get(startMs);
    if (window === undefined) {
      window = {
        startMs,
        counts: new Map(),
        total: 0,
        dirty: false,
        written: false,
        resume: resumeBefore(before),
        seq: seq++,
      };
      open.set(startMs, window);
      if (originMs !== null && startMs < originMs) markIncomplete(startMs);
    }
    window.counts.set(serverName, (window.counts.get(serverName) ?? 0) + 1);
    window.total++;
    window.dirty = true;
    return "counted";
  }

  function advance(id: string | undefined, metaId: string | undefined): void {
    if (id !== undefined && id !== "") {
      if (id !== lastId) changed = true;
      lastId = id;
    }
    if (metaId !== undefined) pushRecent(metaId);
  }

  function drain(rewrite = true): WindowBatch | null {
    const watermark = maxSeen - latenessMs;
    const windows: WindowSnapshot[] = [];
    const starts = [...open.keys()].sort((a, b) => a - b);
    for (const startMs of starts) {
      const window = open.get(startMs);
      if (window === undefined) continue;
      const endMs = startMs + windowMs;
      const isFinal = endMs <= watermark;
      if (isFinal || (window.dirty && endMs <= maxSeen && (rewrite || !window.written))) {
        windows.push({ startMs, endMs, total: window.total, counts: new Map(window.counts), final: isFinal });
        window.dirty = false;
        window.written = true;
      }
      if (isFinal) open.delete(startMs);
    }
    if (Number.isFinite(watermark)) {
      // Windows from --until on are not counted by this run, so they are not final for the next.
      const newFinal = Math.min(resolveWindowStart(watermark, windowMs), resolveWindowCeil(untilMs, windowMs));
      if (newFinal > finalMs) {
        finalMs = newFinal;
        changed = true;
      }
    }
    if (windows.length === 0 && !changed) return null;
    changed = false;
    let earliest: { resume: ResumePoint; seq: number } | undefined = untilResume ?? undefined;
    for (const window of open.values()) if (earliest === undefined || window.seq < earliest.seq) earliest = window;
    const batch: WindowBatch = {
      windows,
      incomplete: [...incomplete].sort((a, b) => a - b),
      checkpoint: {
        resume: earliest ? earliest.resume : resumeBefore(maxSeen),
        finalMs: Number.isFinite(finalMs) ? finalMs : null,
        originMs,
        windowMs,
        latenessMs,
      },
    };
    incomplete.clear();
    return batch;
  }

  function isDone(): boolean {
    if (!Number.isFinite(untilMs)) return false;
    const lastEnd = resolveWindowCeil(untilMs, windowMs);
    return maxSeen - latenessMs >= lastEnd;
  }

  function restartAfterGap(): number {
    // Windows the watermark has passed hold every event they will ever get (all were read before
    // the refusal): they stay, to be drained as final, and their replayed events count as late.
    // The others are dropped and recounted from the first window that is not final.
    const watermark = maxSeen - latenessMs;
    const from = Number.isFinite(watermark)
      ? Math.max(resolveWindowStart(watermark, windowMs), Number.isFinite(finalMs) ? finalMs : Number.NEGATIVE_INFINITY)
      : Number.isFinite(finalMs)
        ? finalMs
        : (sinceMs ?? 0);
    for (const startMs of [...open.keys()]) if (startMs + windowMs > watermark) open.delete(startMs);
    untilResume = null;
    lastId = null;
    sinceMs = from;
    gapFromMs = from;
    changed = true;
    return from;
  }

  return {
    add,
    observe(timeMs: number): void {
      if (timeMs > maxSeen) maxSeen = timeMs;
      learnOrigin(timeMs);
    },
    advance,
    drain,
    isDone,
    position: () => ({ id: lastId, sinceMs: lastId === null ? sinceMs : null }),
    recentIds,
    restartAfterGap,
  };
}
