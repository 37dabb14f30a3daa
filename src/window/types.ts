/** The shapes the windowing core hands out and takes back; see windower.ts for the rules. */

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
