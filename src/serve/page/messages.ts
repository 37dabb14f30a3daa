/**
 * The messages of GET /events, the live page's event stream: shared by the server (live.ts),
 * which writes them, and the page (app.ts), which reads them. Types only, so the page's bundle
 * takes nothing of the server with it.
 *
 * The first message is a snapshot of everything; each later one (at most one a second) carries
 * only what changed. Windows are in their wire form (window/wire.ts), as stdout and `--json`
 * print them. Times are Unix seconds, except `now` and `lastWrite` (Unix ms, for "3.0s ago").
 */
import type { WaitingFor } from "../../run/telemetry.ts";
import type { WindowWire } from "../../window/wire.ts";

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

/**
 * Everything the page needs, each window whole: the last closed windows, oldest first (final
 * ones, and at start the last ones read back from Redis; the page shows them all as final), and
 * the open ones. Replaces what the page holds.
 */
export interface SnapshotMessage {
  kind: "snapshot";
  status: StatusMessage;
  windows: WindowWire[];
  open: WindowWire[];
}

/**
 * What changed since the previous message: windows closed since then (whole), and every window
 * open now with only the members whose count changed, in `counts` and in each of `views`
 * (absolute counts, so applying one twice is harmless; `total` and `incomplete` are current).
 * A window open before and missing from `open` is open no more.
 */
export interface DeltaMessage {
  kind: "delta";
  status: StatusMessage;
  windows: WindowWire[];
  open: WindowWire[];
}

/** A message of GET /events. */
export type LiveMessage = SnapshotMessage | DeltaMessage;
