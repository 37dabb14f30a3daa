/**
 * What the orchestrator needs from the outside world, defined here so that the adapters
 * (`source/`, `sink/`) depend on the run and not the other way round.
 */
import type { Checkpoint, WindowBatch, WindowSnapshot } from "../window/types.ts";

/** Wall time, injectable so tests control it. */
export interface Clock {
  now(): number;
}

/**
 * What the source calls while it reads. `onMessage` runs synchronously for every event.
 * Event text arrives as Latin-1 (one character per byte, see `event/latin1.ts`): decoding
 * UTF-8 for every byte costs more than the rest of the hot path, and all wikistream reads of
 * an event is ASCII in practice, so only the rare non-ASCII field is decoded, by the handler.
 */
export interface SourceHandler {
  /** A `message` event (or one without a type). `oversized` when it exceeded the size limit and was cut. */
  onMessage(id: string | undefined, data: string, oversized: boolean): void;
  /** An event of any other type; `error` events from the server land here too. */
  onOtherEvent(type: string, data: string): void;
  /** Called after each network chunk; a returned promise holds reading until it settles (backpressure). */
  onChunk(): Promise<void> | undefined;
  /** A connection was accepted (HTTP 200 with an event stream). */
  onConnect(): void;
  /** A connection ended, or an attempt failed (`error` says why, in words); the next attempt follows after `delayMs`. */
  onDisconnect?(cause: ReconnectCause, delayMs: number, error?: string): void;
  /** Where to resume: the last event id, else a start time, else live. */
  position(): { id: string | null; sinceMs: number | null };
  /** The server refused our Last-Event-ID (HTTP 400). Returns the time to resume from with `?since=`. */
  onResumeRejected(): number;
}

/**
 * Why the stream had to be connected again: it ended (`drop`, as EventStreams does every ~15
 * minutes), went silent (`idle`), was refused (`429`, `5xx`, or `400` for an expired position),
 * could not be reached (`network`), or something else (a proxy page, an empty body).
 */
export type ReconnectCause = "drop" | "idle" | "429" | "5xx" | "400" | "network" | "other";

/** A reconnecting reader of one event stream. */
export interface Source {
  /** Reads until `signal` aborts (resolves) or a fatal error (rejects). */
  run(handler: SourceHandler, signal: AbortSignal): Promise<void>;
}

/** What a sink tells about its writes, for status and metrics (see run/telemetry.ts). */
export interface SinkObserver {
  /** A write landed after `durationMs`, holding this many final windows and rewrites of windows not final yet. */
  onWrite(durationMs: number, finalWindows: number, provisionalWindows: number): void;
  /** A write or connection failed; `kind` as the sink classifies it (e.g. `connection`, `oom`). */
  onError(kind: string): void;
  /** The sink waits for its store (Redis down at start or mid-run), or no longer does. */
  onWaiting(waiting: boolean): void;
  /** The sink stands by for another instance's lock to expire (--standby), or no longer does. */
  onStandby?(standing: boolean): void;
  /** A write has had no answer for long (since this Unix ms time), or null once it has one. */
  onSlowWrite?(sinceMs: number | null): void;
}

/** Where windows go. Writes are queued and never block the reader. */
export interface Sink {
  /** Connects and returns the saved checkpoint, or null when there is none (or the sink keeps none). */
  open(): Promise<Checkpoint | null>;
  /** Queues a batch; later batches supersede earlier ones window by window. */
  write(batch: WindowBatch): void;
  /** Windows queued or on their way, not yet written (a write in flight counts until it is answered). */
  backlog(): number;
  /** The write sent and not answered yet, for the stop line ("3 of them in write 7, sent 1.6s ago…"); undefined when none. */
  describeInFlight?(): string | undefined;
  /** How many writes have completed so far: progress, for --give-up-after. */
  written(): number;
  /**
   * A promise while the sink wants reading to pause (it holds more unwritten windows than it
   * will keep in memory), settling once it has room again; undefined when reading may go on.
   */
  hold(): Promise<void> | undefined;
  /** Resolves true once everything queued is written, false if the sink failed first. */
  flush(): Promise<boolean>;
  /**
   * The run was stopped with these windows holding counted events but not final. A sink that
   * shows windows to a person shows them, marked partial, so that what it showed adds up to
   * what was counted; one that keeps state (Redis) need not: the checkpoint brings them back.
   */
  finish?(open: WindowSnapshot[]): void;
  /** Rejects when the sink hits an error that retrying cannot fix; never resolves. */
  readonly failed: Promise<never>;
  close(): Promise<void>;
}
