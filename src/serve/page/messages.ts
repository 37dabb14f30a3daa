/**
 * The messages of GET /events, the live page's event stream: shared by the server (live.ts),
 * which writes them, and the page (app.ts), which reads them. Types only, so the page's bundle
 * takes nothing of the server with it.
 *
 * The first message is a snapshot of everything; each later one (at most one a second) carries
 * only what changed. Times are Unix seconds, like the stdout and Redis formats, except `now`
 * and `lastWrite` (Unix ms, for "3.0s ago").
 */
import type { WaitingFor } from "../../run/telemetry.ts";

/** One window, as in the stdout JSON lines: a window start and end (s), its total and its counts. */
export interface WindowMessage {
  start: number;
  end: number;
  total: number;
  /** Known to miss events (the run's history begins after it starts, or a gap overlaps it). */
  incomplete: boolean;
  /** The main view's member → count: every member in a snapshot and for a final window; only the changed ones for an open window in a delta. */
  counts: Record<string, number>;
  /** With several --by views: every view by its LIST (the main one first), each whole, in every message. */
  views?: Record<string, Record<string, number>>;
}

/** How the run is doing, sent with every message. */
export interface StatusMessage {
  /** The server's clock (Unix ms), so the page can say "3 s ago" without trusting its own. */
  now: number;
  /** Seconds between now and the newest event time; null before the first event. */
  lag: number | null;
  /** Events per second over the last ten seconds. */
  eventsPerSecond: number;
  /** Windows holding counts that are not final yet. */
  openWindows: number;
  /** When the last write landed (Unix ms); null before the first. */
  lastWrite: number | null;
  /** Whether windows go to Redis (else to stdout). */
  redis: boolean;
  ready: boolean;
  /** Why (not) ready, in words. */
  reason: string;
  /** What the run waits for right now, if anything. */
  waitingFor: WaitingFor;
  /** Back-filling the chart from Redis: not asked, still loading, done, or failed (the page then starts empty). */
  history: "none" | "loading" | "loaded" | "failed";
}

/** Everything the page needs: the last final windows (oldest first) and the open ones. Replaces what the page holds. */
export interface SnapshotMessage {
  kind: "snapshot";
  status: StatusMessage;
  windows: WindowMessage[];
  open: WindowMessage[];
}

/**
 * What changed since the previous message: final windows new since then (whole), and every
 * window open now with the counts that changed (absolute values, so applying one twice is
 * harmless). A window open before and missing from `open` is open no more.
 */
export interface DeltaMessage {
  kind: "delta";
  status: StatusMessage;
  windows: WindowMessage[];
  open: WindowMessage[];
}

/** A message of GET /events. */
export type LiveMessage = SnapshotMessage | DeltaMessage;
