/**
 * The orchestrator: reads the source, counts events into windows and hands due windows with
 * their checkpoint to the sink, until --until is reached or the run is stopped. It owns the
 * interfaces it needs (`ports.ts`); the adapters come from outside so tests can swap them.
 */
import type { EventFilter } from "../event/classify.ts";
import { scannerStatus, slowPathCount } from "../event/fields.ts";
import { whenAborted } from "../lib/abort.ts";
import { formatDuration } from "../lib/duration.ts";
import { formatCount } from "../lib/plural.ts";
import { WikistreamError } from "../lib/error.ts";
import type { Logger } from "../lib/log.ts";
import type { Checkpoint, Origin } from "../window/types.ts";
import { createWindower, type Windower } from "../window/windower.ts";
import { EventCounter } from "./events.ts";
import { FilterWatch } from "./filter-watch.ts";
import { FutureWatch } from "./future-watch.ts";
import { Flusher } from "./flusher.ts";
import { GiveUpWatch } from "./give-up.ts";
import type { Clock, Sink, Source, SourceHandler } from "./ports.ts";
import { formatStats, subtractStats, type RunStats, type Unwritten } from "./stats.ts";
import { Telemetry } from "./telemetry.ts";
import type { ViewSpec } from "../event/dimension.ts";

/** Why a run ended normally. */
export type StopReason = "until" | "signal";

/** The settings the pipeline reads. */
export interface PipelineConfig extends EventFilter {
  windowMs: number;
  latenessMs: number;
  sinceMs: number | undefined;
  untilMs: number | undefined;
  /** Events dated more than this past the clock are skipped as `future` (they would close every window at once). */
  maxAheadMs: number;
  resume: boolean;
  maxEventBytes: number;
  /** Names the data's place in messages (the Redis key prefix). */
  prefix: string;
  /** The filters as typed (`--type 'foo'`), for the warning when they let nothing through; "" when none. */
  filterDescription: string;
  /** Stop with exit 1 after this long without an event read or a window written; undefined: never. */
  giveUpAfterMs: number | undefined;
  /** How long the sink keeps windows after their end (0: for ever): older events are skipped as expired. */
  retainMs: number;
  /** What is counted (--by): the main view first. */
  views: readonly ViewSpec[];
}

/** Options of runPipeline. */
export interface PipelineOptions {
  config: PipelineConfig;
  source: Source;
  sink: Sink;
  clock: Clock;
  log: Logger;
  /** Aborting it stops the run gracefully (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** How often due windows and the checkpoint are handed to the sink. */
  flushIntervalMs?: number;
  /** How long a stop waits for the sink; {@link STOP_GRACE_MS} unless a test needs it shorter. */
  stopGraceMs?: number;
  /** Where the run reports what it knows (status line, metrics, the page); a fresh one when absent. */
  telemetry?: Telemetry;
}

/**
 * How long a stop (SIGINT/SIGTERM) waits for the sink to write what is due: long enough for
 * one more write to a Redis that answers, short enough that a supervisor's stop (systemd waits
 * 90 s, Kubernetes 30 s) or a person at a terminal never has to wait.
 */
export const STOP_GRACE_MS = 1500;

function resolveStart(config: PipelineConfig, saved: Checkpoint | null, log: Logger): { checkpoint?: Checkpoint; origin: Origin } {
  const origin: Origin = config.sinceMs !== undefined ? { kind: "since", sinceMs: config.sinceMs } : { kind: "live" };
  if (saved === null) return { origin };
  if (!config.resume) {
    log.info("ignoring the saved position (--no-resume)");
    return { origin };
  }
  // The Redis sink refuses this before it opens (its layout check); this guards the windower
  // against any sink that does not; like that check, it never points at --no-resume (mixed windows).
  if (saved.windowMs !== config.windowMs) {
    throw new WikistreamError(
      "checkpoint",
      `prefix '${config.prefix}' holds ${formatDuration(saved.windowMs)} windows but --window is ${formatDuration(config.windowMs)}: use the same --window, or another --prefix`,
    );
  }
  if (saved.latenessMs !== config.latenessMs) {
    log.warn(`the saved position was made with --lateness ${formatDuration(saved.latenessMs)}; replaying with ${formatDuration(config.latenessMs)} may count late events differently`);
  }
  if (config.sinceMs !== undefined) log.warn("--since is ignored: resuming from the saved position (add --no-resume to start from --since)");
  return { checkpoint: saved, origin };
}

/** Opens the sink, unless a stop comes first (Redis not up, OOM, a lock to wait for). */
async function openSink(sink: Sink, signal: AbortSignal, stuck: Promise<never>): Promise<Checkpoint | null | "aborted"> {
  const opening = sink.open();
  const saved = await Promise.race([opening, whenAborted(signal).then(() => "aborted" as const), stuck]);
  if (saved === "aborted") opening.catch(() => undefined);
  return saved;
}

/** Resolves true once the sink has written everything, false after `graceMs` once `signal` aborts. */
async function flushWithin(sink: Sink, signal: AbortSignal, graceMs: number, stuck: Promise<never>): Promise<boolean> {
  const gaveUp = whenAborted(signal).then(() => Bun.sleep(graceMs).then(() => false));
  // --give-up-after holds here too: a batch job whose Redis went away at the end must not hang.
  return Promise.race([sink.flush(), gaveUp, sink.failed, stuck]);
}

/**
 * Reads the source, counts events into windows and hands due windows with their checkpoint
 * to the sink, until --until is reached or `signal` aborts. Resolves with why it stopped.
 */
export async function runPipeline(options: PipelineOptions): Promise<{ reason: StopReason; stats: RunStats }> {
  const { config, sink, clock, log } = options;
  const telemetry = options.telemetry ?? new Telemetry(clock.now);
  const stats = telemetry.stats;
  const scanner = scannerStatus();
  if (!scanner.fast) log.warn(`the fast field scanner did not load (${scanner.reason ?? "no reason given"}); every event takes the slower JSON.parse path`);
  // The telemetry counts for the whole process (a failover may start the run again); the
  // summary line tells this run's share.
  const before: RunStats = structuredClone(stats);
  const counters = { events: () => stats.events, writes: () => sink.written(), paused: () => telemetry.standingBy };
  const giveUp = config.giveUpAfterMs === undefined ? undefined : new GiveUpWatch(config.giveUpAfterMs, counters, log, clock.now);
  const stuck = giveUp?.stuck ?? new Promise<never>(() => undefined);
  try {
    return await runStages(options, telemetry, stuck, before);
  } finally {
    giveUp?.stop();
  }
}

/** The windower of this run, resumed from the checkpoint the sink holds (or started afresh). */
function createRunWindower(config: PipelineConfig, saved: Checkpoint | null, log: Logger): Windower {
  const start = resolveStart(config, saved, log);
  return createWindower({
    windowMs: config.windowMs,
    latenessMs: config.latenessMs,
    untilMs: config.untilMs ?? null,
    checkpoint: start.checkpoint,
    origin: start.origin,
    views: config.views.map((view) => view.name),
  });
}

/** The run once the watches are set: open the sink, read until done, write what is due. */
async function runStages(options: PipelineOptions, telemetry: Telemetry, stuck: Promise<never>, before: RunStats): Promise<{ reason: StopReason; stats: RunStats }> {
  const { config, source, sink, clock, log } = options;
  const stats = telemetry.stats;
  const slowBefore = slowPathCount();
  const summarize = (unwritten?: Unwritten) => {
    stats.slowPath += slowPathCount() - slowBefore;
    const ours = subtractStats(stats, before);
    log.info(formatStats(ours, unwritten));
    return ours;
  };
  const saved = await openSink(sink, options.signal, stuck);
  if (saved === "aborted") return { reason: "signal", stats: summarize() };
  telemetry.onStoreReached();
  const windower = createRunWindower(config, saved, log);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (options.signal.aborted) stop.abort();
  options.signal.addEventListener("abort", onSignal, { once: true });
  telemetry.attach({ newestEventMs: () => windower.newestEventMs(), openWindows: () => windower.openWindows(), backlog: () => sink.backlog() });
  const flusher = new Flusher(windower, sink, clock, log, telemetry);
  const filterWatch = config.filterDescription === "" ? undefined : new FilterWatch(config.windowMs, config.filterDescription, log, clock.now());
  const futureWatch = new FutureWatch(config.windowMs, config.maxAheadMs, log, clock.now());
  telemetry.droppingAll = () => futureWatch.droppingAll;
  const reached = { until: false };
  const finishIfDone = () => {
    if (config.untilMs === undefined || !windower.isDone()) return false;
    reached.until = true;
    stop.abort();
    return true;
  };
  const handler = createHandler({ config, windower, telemetry, sink, clock, log, flusher, finishIfDone, flushIntervalMs: options.flushIntervalMs ?? 1000 });
  const timer = setInterval(() => {
    filterWatch?.check(clock.now(), stats);
    futureWatch.check(clock.now(), stats);
    if (!finishIfDone()) flusher.flush();
  }, options.flushIntervalMs ?? 1000);
  try {
    if (!finishIfDone()) await Promise.race([source.run(handler, stop.signal), sink.failed, stuck]);
  } finally {
    clearInterval(timer);
    options.signal.removeEventListener("abort", onSignal);
    stop.abort();
  }
  flusher.flush(true);
  const reason: StopReason = reached.until ? "until" : "signal";
  // Stopped by a signal: a sink that shows windows shows the open ones too; one that keeps state
  // leaves those the stream has not passed unwritten (the checkpoint brings them back), and the
  // summary says how many counted events they hold.
  let unwritten: Unwritten | undefined;
  if (reason === "signal") {
    if (sink.finish) sink.finish(windower.openWindows());
    else unwritten = countUnwritten(windower);
  }
  const written = await flushWithin(sink, options.signal, options.stopGraceMs ?? STOP_GRACE_MS, stuck);
  if (!written) log.warn(describeUnwritten(sink));
  return { reason, stats: summarize(unwritten) };
}

/**
 * The open windows never written: those the stream has not passed yet (a window is first
 * written once the newest event time passes its end; see Windower.drain).
 */
function countUnwritten(windower: Windower): Unwritten {
  const newest = windower.newestEventMs() ?? Number.NEGATIVE_INFINITY;
  const open = windower.openWindows().filter((w) => w.endMs > newest);
  return { events: open.reduce((sum, w) => sum + w.total, 0), windows: open.length };
}

/**
 * The stop line when the grace ran out: a write sent and not answered is counted unwritten and
 * named, since Redis may still apply it after the exit (the next run reads what it left).
 */
function describeUnwritten(sink: Sink): string {
  const unwritten = `stopped with ${formatCount(sink.backlog(), "window")} unwritten`;
  const inFlight = sink.describeInFlight?.();
  if (inFlight === undefined) return `${unwritten}; the saved position lets the next run redo them`;
  return `${unwritten}, ${inFlight}: Redis may still apply it after this exit; the saved position lets the next run redo them either way`;
}

interface HandlerParts {
  config: PipelineConfig;
  windower: Windower;
  telemetry: Telemetry;
  sink: Sink;
  clock: Clock;
  log: Logger;
  flusher: Flusher;
  finishIfDone(): boolean;
  flushIntervalMs: number;
}

/** The source's handler: events to the counter, and after each chunk a flush when due and the sink's backpressure. */
function createHandler(parts: HandlerParts): SourceHandler {
  const { windower, sink, clock, flusher, telemetry } = parts;
  const maxAheadMs = parts.config.maxAheadMs;
  let horizonMs = clock.now() + maxAheadMs;
  const retainMs = parts.config.retainMs;
  const windowMs = parts.config.windowMs;
  let expiredBeforeMs = clock.now() - retainMs - windowMs;
  const counter = new EventCounter({
    windower,
    stats: telemetry.stats,
    filter: parts.config,
    views: parts.config.views,
    maxEventBytes: parts.config.maxEventBytes,
    log: parts.log,
    horizonMs: () => horizonMs,
    // A window expires at its end plus the retention: an event whose window would already have expired is not counted.
    expiredBeforeMs: () => (retainMs > 0 ? expiredBeforeMs : Number.NEGATIVE_INFINITY),
    retainMs,
  });
  return {
    onMessage: (id, data, oversized) => counter.onMessage(id, data, oversized),
    onOtherEvent: (type, data) => counter.onOtherEvent(type, data),
    onChunk() {
      const now = clock.now();
      horizonMs = now + maxAheadMs;
      expiredBeforeMs = now - retainMs - windowMs;
      if (parts.finishIfDone()) return undefined;
      if (now - flusher.lastFlush >= parts.flushIntervalMs) flusher.flush();
      const hold = sink.hold();
      if (hold === undefined) return undefined;
      telemetry.backpressure = true;
      return hold.finally(() => {
        telemetry.backpressure = false;
      });
    },
    onConnect() {
      telemetry.stats.connections++;
      telemetry.onConnected();
      counter.onConnect();
    },
    onDisconnect: (cause, delayMs, error) => telemetry.onDisconnected(cause, delayMs, error),
    position: () => windower.position(),
    onResumeRejected: () => windower.restartAfterGap(),
  };
}
