import type { Config } from "./config.ts";
import { formatDuration } from "./duration.ts";
import { WikistreamError } from "./error.ts";
import { isAccepted, isValidServerName, resolveEventTime, type EventFilter, type SkipReason } from "./event.ts";
import { createEventFields, extractFieldsLatin1, extractFieldsSlow } from "./event/fields.ts";
import type { Logger } from "./log.ts";
import type { Sink } from "./sink.ts";
import { decodeLatin1, whenAborted, type Source, type SourceHandler } from "./source.ts";
import { createWindower, detachString, type AddOutcome, type Checkpoint, type Origin, type WindowBatch } from "./window.ts";

/** Wall time, injectable so tests control it. */
export interface Clock {
  now(): number;
}

/** Counters of one run, logged at the end (and periodically with --verbose). */
export interface RunStats {
  events: number;
  outcomes: Record<AddOutcome, number>;
  skipped: Record<SkipReason, number>;
  streamErrors: number;
  connections: number;
}

/** Why a run ended normally. */
export type StopReason = "until" | "signal";

/** The parts of Config the pipeline reads. */
export type PipelineConfig = Pick<
  Config,
  "windowMs" | "latenessMs" | "sinceMs" | "untilMs" | "resume" | "types" | "excludeBots" | "servers" | "maxEventBytes" | "prefix"
>;

/** Options of runPipeline: the source, sink and clock come from outside so tests can swap them. */
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
  /** How long a graceful stop may wait for the sink. */
  stopTimeoutMs?: number;
  /** Windows the sink may hold unwritten before reading pauses. */
  maxBacklog?: number;
}

const REWRITE_INTERVAL_MS = 5000;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// Events dated more than this beyond the wall clock are treated as broken, so that one bad
// timestamp cannot close every open window at once.
const FUTURE_SLACK_MS = 3_600_000;

function createStats(): RunStats {
  return {
    events: 0,
    outcomes: { counted: 0, late: 0, final: 0, "after-until": 0 },
    skipped: {
      "invalid-json": 0,
      "not-object": 0,
      "no-server-name": 0,
      "bad-server-name": 0,
      "bad-time": 0,
      canary: 0,
      oversized: 0,
      duplicate: 0,
      filtered: 0,
      "other-event-type": 0,
    },
    streamErrors: 0,
    connections: 0,
  };
}

/** One line that sums up a run's counters, naming only the non-zero ones. */
export function formatStats(stats: RunStats): string {
  const skipped = Object.entries(stats.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  const parts = [`${stats.events} events`, `${stats.outcomes.counted} counted`];
  if (stats.outcomes.late > 0) parts.push(`${stats.outcomes.late} late`);
  if (stats.outcomes.final > 0) parts.push(`${stats.outcomes.final} replayed into final windows`);
  if (stats.outcomes["after-until"] > 0) parts.push(`${stats.outcomes["after-until"]} after --until`);
  if (skipped.length > 0) parts.push(`skipped: ${skipped.join(", ")}`);
  if (stats.streamErrors > 0) parts.push(`${stats.streamErrors} stream error events`);
  return parts.join("; ");
}

function resolveStart(config: PipelineConfig, saved: Checkpoint | null, log: Logger): { checkpoint?: Checkpoint; origin: Origin } {
  const origin: Origin = config.sinceMs !== undefined ? { kind: "since", sinceMs: config.sinceMs } : { kind: "live" };
  if (saved === null) return { origin };
  if (!config.resume) {
    log.info("ignoring the saved position (--no-resume)");
    return { origin };
  }
  if (saved.windowMs !== config.windowMs) {
    throw new WikistreamError(
      "checkpoint",
      `prefix '${config.prefix}' holds ${formatDuration(saved.windowMs)} windows but --window is ${formatDuration(config.windowMs)}: use the same --window, another --prefix, or --no-resume`,
    );
  }
  if (saved.latenessMs !== config.latenessMs) {
    log.warn(`the saved position was made with --lateness ${formatDuration(saved.latenessMs)}; replaying with ${formatDuration(config.latenessMs)} may count late events differently`);
  }
  if (config.sinceMs !== undefined) log.warn("--since is ignored: resuming from the saved position (add --no-resume to start from --since)");
  return { checkpoint: saved, origin };
}

/**
 * Reads the source, counts events into windows and hands due windows with their checkpoint
 * to the sink, until --until is reached or `signal` aborts. Resolves with why it stopped.
 */
export async function runPipeline(options: PipelineOptions): Promise<{ reason: StopReason; stats: RunStats }> {
  const { config, source, sink, clock, log } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxBacklog = options.maxBacklog ?? 2000;
  const stats = createStats();
  const filter: EventFilter = { types: config.types, excludeBots: config.excludeBots, servers: config.servers };
  const filtering = filter.types !== undefined || filter.excludeBots || filter.servers.length > 0;

  // A signal while the sink cannot open yet (Redis not up, OOM, a lock to wait for) stops the run too.
  const opening = sink.open();
  const saved = await Promise.race([opening, whenAborted(options.signal).then(() => "aborted" as const)]);
  if (saved === "aborted") {
    opening.catch(() => undefined);
    log.info(formatStats(stats));
    return { reason: "signal", stats };
  }
  const start = resolveStart(config, saved, log);
  const windower = createWindower({
    windowMs: config.windowMs,
    latenessMs: config.latenessMs,
    untilMs: config.untilMs ?? null,
    checkpoint: start.checkpoint,
    origin: start.origin,
  });

  const stop = new AbortController();
  let reason = "signal" as StopReason;
  const onSignal = () => stop.abort();
  if (options.signal.aborted) stop.abort();
  options.signal.addEventListener("abort", onSignal, { once: true });

  let lastFlush = clock.now();
  let horizonMs = lastFlush + FUTURE_SLACK_MS;
  // Newly due and final windows go out at every flush; rewrites of windows still taking late
  // events, and checkpoints alone, at most every REWRITE_INTERVAL_MS (live, that is most writes).
  let lastRewrite = lastFlush;
  let deferred: WindowBatch | null = null;
  const flush = (final = false) => {
    const now = clock.now();
    lastFlush = now;
    const rewrite = final || now - lastRewrite >= REWRITE_INTERVAL_MS;
    if (rewrite) lastRewrite = now;
    const batch = windower.drain(rewrite);
    if (batch !== null && (batch.windows.length > 0 || batch.incomplete.length > 0 || rewrite)) {
      sink.write(batch);
      deferred = null;
      for (const w of batch.windows) log.debug(`window ${w.startMs / 1000} ${w.final ? "final" : "due"}: ${w.total} changes`);
    } else if (batch !== null) {
      deferred = batch;
    } else if (deferred !== null && rewrite) {
      sink.write(deferred);
      deferred = null;
    }
  };
  const finishIfDone = () => {
    if (config.untilMs !== undefined && windower.isDone()) {
      reason = "until";
      stop.abort();
      return true;
    }
    return false;
  };

  let dedup: Set<string> | null = null;
  let dedupLeft = 0;
  const fields = createEventFields();
  // server_name as read (Latin-1 view of its bytes) → the name to count, or null when invalid.
  // One detached copy per name: count maps then never pin network chunks in memory.
  const names = new Map<string, string | null>();
  const exact = createEventFields();
  const resolveServerName = (raw: string, data: string): string | null => {
    const known = names.get(raw);
    if (known !== undefined) return known;
    if (!PRINTABLE_ASCII.test(raw)) {
      // Non-ASCII (or escaped) names need the event decoded as UTF-8 to be exact; never cached.
      extractFieldsSlow(decodeLatin1(data), exact);
      return exact.serverName !== undefined && isValidServerName(exact.serverName) ? exact.serverName : null;
    }
    const name = isValidServerName(raw) ? detachString(raw) : null;
    if (names.size < 100_000) names.set(name ?? detachString(raw), name);
    return name;
  };
  const skip = (why: SkipReason, id: string | undefined) => {
    stats.skipped[why]++;
    windower.advance(id, undefined);
  };

  const handler: SourceHandler = {
    onMessage(id, data, oversized) {
      stats.events++;
      if (oversized || data.length > config.maxEventBytes) {
        return skip("oversized", id);
      }
      const status = extractFieldsLatin1(data, fields);
      if (status !== "ok") return skip(status, id);
      const metaId = fields.metaId;
      if (dedupLeft > 0) {
        dedupLeft--;
        // The server sent an event we already have (ids can repeat at millisecond granularity):
        // neither count it nor move our position back to it.
        if (metaId !== undefined && dedup !== null && dedup.has(metaId)) {
          stats.skipped.duplicate++;
          return;
        }
      }
      const timeMs = resolveEventTime(fields);
      if (!(timeMs > 0 && timeMs <= horizonMs)) return skip("bad-time", id);
      if (fields.domain === "canary") return skip("canary", id);
      const rawName = fields.serverName;
      if (rawName === undefined) return skip("no-server-name", id);
      const serverName = resolveServerName(rawName, data);
      if (serverName === null) return skip("bad-server-name", id);
      if (filtering && !isAccepted(fields, serverName, filter)) {
        windower.observe(timeMs);
        stats.skipped.filtered++;
        windower.advance(id, metaId);
        return;
      }
      stats.outcomes[windower.add(timeMs, serverName)]++;
      windower.advance(id, metaId);
    },
    onOtherEvent(type, data) {
      if (type === "error") {
        stats.streamErrors++;
        log.warn(`the stream reported an error: ${decodeLatin1(data.slice(0, 600)).slice(0, 300)}`);
      } else {
        stats.events++;
        stats.skipped["other-event-type"]++;
      }
    },
    onChunk() {
      const now = clock.now();
      horizonMs = now + FUTURE_SLACK_MS;
      if (finishIfDone()) return undefined;
      if (now - lastFlush >= flushIntervalMs) flush();
      return sink.backlog() > maxBacklog ? sink.writable() : undefined;
    },
    onConnect() {
      stats.connections++;
      const recent = windower.recentIds();
      dedup = recent.length > 0 ? new Set(recent) : null;
      dedupLeft = dedup === null ? 0 : recent.length * 2;
    },
    position: () => windower.position(),
    onResumeRejected: () => windower.restartAfterGap(),
  };

  const timer = setInterval(() => {
    if (!finishIfDone()) flush();
  }, flushIntervalMs);
  const progress = log.verbose ? setInterval(() => log.debug(formatStats(stats)), 30_000) : undefined;
  try {
    if (!finishIfDone()) await Promise.race([source.run(handler, stop.signal), sink.failed]);
  } finally {
    clearInterval(timer);
    if (progress) clearInterval(progress);
    options.signal.removeEventListener("abort", onSignal);
    stop.abort();
  }
  flush(true);
  const timeoutMs = reason === "until" ? Number.POSITIVE_INFINITY : (options.stopTimeoutMs ?? 1500);
  const written = await Promise.race([sink.flush(timeoutMs, options.signal), sink.failed]);
  if (!written) log.warn(`stopped with ${sink.backlog()} windows unwritten; the saved position lets the next run redo them`);
  log.info(formatStats(stats));
  return { reason, stats };
}
