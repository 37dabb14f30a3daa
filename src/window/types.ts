/** The shapes the windowing core hands out and takes back; see windower.ts for the rules. */

/** Where the stream can be resumed so that replay reproduces every non-final window. */
export interface ResumePoint {
  /** SSE id of the last event before this point; null means "use sinceMs, else live". */
  id: string | null;
  /** Start of history to request when there is no id. */
  sinceMs: number | null;
  /** The stream's time (see watermark.ts) before this point; null while not known. */
  maxSeenMs: number | null;
  /** The event times just before this point, oldest first, that the stream's time is decided from. */
  recentTimes?: number[];
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
  /** Events read after the resume point when this was saved: on a resume, these are replays, not new events. */
  readAfter?: number;
}

/** One view's counts: member (opaque text, from the event room's field table) → count, in no particular order. */
export type MemberCounts = Map<string, number>;

/**
 * One window's counts as handed to a sink. The dimension is declared by the run (its views):
 * `views` holds every view's counts keyed by its name, the main view first; `counts` is the
 * main view's (the same map), what a one-view consumer reads. As JSON, outside the process, it
 * is the wire form (wire.ts, toWire).
 */
export interface WindowSnapshot {
  startMs: number;
  endMs: number;
  total: number;
  /** The main view's member → count (the same map as the first of `views`). */
  counts: MemberCounts;
  /** Every view's counts by view name, the main view first; absent: one view, `counts`. */
  views?: ReadonlyMap<string, MemberCounts>;
  /** True when no later event can change it. */
  final: boolean;
}

/** One window as the page, `top` and `read` show it: its counts, and whether it is known to miss events. */
export interface WindowView extends WindowSnapshot {
  incomplete: boolean;
}

/** What a drain hands to a sink: windows to (re)write whole, and the checkpoint that goes with them. */
export interface WindowBatch {
  windows: WindowSnapshot[];
  /** Window starts known to miss events. */
  incomplete: number[];
  checkpoint: Checkpoint;
  /** History the stream did not have: asked from `fromMs`, its first event came at `toMs` (its windows are in `incomplete`). */
  gap?: { fromMs: number; toMs: number };
}

/** What happened to one event offered to the windower. */
export type AddOutcome = "counted" | "late" | "final" | "after-until";

/** How a run begins when there is no checkpoint. */
export type Origin = { kind: "live" } | { kind: "since"; sinceMs: number };

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
  /** The names of the views counted, the main one first (default: one view, `server_name`). */
  views?: readonly string[];
}

/** The windowing state machine. See the module comment for the rules. */
export interface Windower {
  /**
   * Offers one valid event: its time and its member in each view (in the order of the views; a
   * lone string for one view). Call `advance` after every event, valid or not.
   */
  add(timeMs: number, members: string | readonly string[]): AddOutcome;
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
  /** Windows holding counted events that are not final yet, oldest first (what a stop leaves unfinished). */
  openWindows(): WindowSnapshot[];
  /** The stream's time (Unix ms, see watermark.ts), from counted events and filtered ones; null while not known. */
  newestEventMs(): number | null;
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
