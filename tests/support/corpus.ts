import { readFileSync } from "node:fs";

/** Every real event we have, one JSON text per line (see tests/fixtures/SOURCES.md). */
export function loadRealEvents(): string[] {
  const gz = readFileSync(new URL("../fixtures/recentchange-real.ndjson.gz", import.meta.url));
  return new TextDecoder().decode(Bun.gunzipSync(gz)).split("\n").filter((line) => line.trim() !== "");
}

/** The complete, unfiltered 2021-10-08 capture (4437 events, out of order as recorded). */
export function loadCapture2021(): string[] {
  return loadRealEvents().slice(5689, 10126);
}

interface RawEvent {
  timestamp?: number;
  server_name?: unknown;
  meta?: { dt?: string; id?: string; domain?: string; offset?: number };
}

/** Options of buildCycledStream. */
export interface CycleOptions {
  cycles: number;
  /** Window length the cycle period is aligned to. */
  windowMs?: number;
  /** Insert a canary copy of every Nth event. */
  canaryEvery?: number;
  /** Time between the starts of two cycles (a multiple of the window); default: just over the capture's span. */
  periodMs?: number;
}

/**
 * Repeats the 2021 capture `cycles` times, each cycle shifted by a window-aligned period so
 * the recorded disorder is kept; every copy gets its own meta.id. Canary copies (meta.domain
 * "canary", same server_name) are mixed in when asked, and must never be counted.
 */
export function buildCycledStream(options: CycleOptions): { events: string[]; firstMs: number; lastMs: number; periodMs: number } {
  const windowMs = options.windowMs ?? 30_000;
  const capture = loadCapture2021().map((line) => JSON.parse(line) as RawEvent);
  const times = capture.map((e) => (e.timestamp ?? 0) * 1000);
  const minMs = Math.min(...times);
  const maxMs = Math.max(...times);
  const periodMs = options.periodMs ?? Math.ceil((maxMs - minMs + windowMs) / windowMs) * windowMs;
  const events: string[] = [];
  let n = 0;
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    for (const original of capture) {
      const event = structuredClone(original);
      const shift = cycle * periodMs;
      if (event.timestamp !== undefined) event.timestamp += shift / 1000;
      if (event.meta) {
        if (event.meta.dt) event.meta.dt = new Date(Date.parse(event.meta.dt) + shift).toISOString();
        if (event.meta.id) event.meta.id = `${event.meta.id.slice(0, 24)}${String(cycle).padStart(12, "0")}`;
      }
      events.push(JSON.stringify(event));
      n++;
      if (options.canaryEvery && n % options.canaryEvery === 0 && event.meta) {
        const canary = structuredClone(event);
        if (canary.meta) {
          canary.meta.domain = "canary";
          canary.meta.id = `canary-${n}`;
        }
        events.push(JSON.stringify(canary));
      }
    }
  }
  return { events, firstMs: minMs, lastMs: maxMs + (options.cycles - 1) * periodMs, periodMs };
}

/**
 * Window start (seconds) → server_name → count, with the window length and --until it was
 * computed for (so the quiet windows a run lists in `epochs` can be derived too).
 */
export class Reference extends Map<number, Map<string, number>> {
  /** Window starts (seconds) that a late event arrived for after they were final: a run marks them incomplete. */
  readonly incomplete = new Set<number>();

  constructor(
    readonly windowMs: number,
    readonly untilMs: number | undefined,
  ) {
    super();
  }
}

/** The stream's time is the WATERMARK_RANK-th newest of the last WATERMARK_RECENT event times (README, Time semantics). */
const WATERMARK_RECENT = 64;
const WATERMARK_RANK = 8;

/**
 * The stream's time as the README states it, computed the plain way (sort the last times):
 * the 8th newest of the last 64 event times, never moving back; -Infinity before 8 events.
 */
export function createStreamClock(): (timeMs: number) => number {
  const recent: number[] = [];
  let time = Number.NEGATIVE_INFINITY;
  return (timeMs) => {
    recent.push(timeMs);
    if (recent.length > WATERMARK_RECENT) recent.shift();
    const sorted = [...recent].sort((a, b) => b - a);
    time = Math.max(time, sorted[WATERMARK_RANK - 1] ?? Number.NEGATIVE_INFINITY);
    return time;
  };
}

/** An event the windows see (not a canary, a non-empty string server_name, a time), with its time; else undefined. */
function parseTimedEvent(line: string): (RawEvent & { server_name: string; timeMs: number }) | undefined {
  let event: RawEvent;
  try {
    event = JSON.parse(line) as RawEvent;
  } catch {
    return undefined;
  }
  if (typeof event !== "object" || event === null) return undefined;
  const timeMs = typeof event.timestamp === "number" ? event.timestamp * 1000 : Date.parse(event.meta?.dt ?? "");
  if (!Number.isFinite(timeMs) || event.meta?.domain === "canary") return undefined;
  if (typeof event.server_name !== "string" || event.server_name === "") return undefined;
  return { ...event, server_name: event.server_name, timeMs };
}

/** The stream's time after `events` (README, Time semantics), fed only the events the windows see, as a run does. */
function computeStreamTime(events: string[]): number {
  const advance = createStreamClock();
  let time = Number.NEGATIVE_INFINITY;
  for (const line of events) {
    const event = parseTimedEvent(line);
    if (event !== undefined) time = advance(event.timeMs);
  }
  return time;
}

/** The final boundary a run saves after `events` (README, Time semantics): the stream's time minus the lateness, down to a window start. */
export function computeFinalMs(events: string[], options: { windowMs: number; latenessMs: number }): number {
  return Math.floor((computeStreamTime(events) - options.latenessMs) / options.windowMs) * options.windowMs;
}

/**
 * What one uninterrupted run must produce, computed straight from the data with JSON.parse:
 * an event counts unless it is a canary, has no string server_name, is at or after `untilMs`,
 * or its window had already closed (end ≤ the stream's time − lateness) when it arrived; such a
 * late event's window (from the first counted one on) is listed incomplete.
 */
export function computeReference(events: string[], options: { windowMs: number; latenessMs: number; untilMs?: number; sinceMs?: number; by?: string }): Reference {
  const by = options.by?.split(",");
  const reference = new Reference(options.windowMs, options.untilMs);
  const advance = createStreamClock();
  let streamTime = Number.NEGATIVE_INFINITY;
  let firstStart = Number.POSITIVE_INFINITY;
  for (const line of events) {
    const event = parseTimedEvent(line);
    if (event === undefined) continue;
    const t = event.timeMs;
    // Done (every window before --until final): a run reads no further than the chunk it is in, and marks nothing more.
    if (options.untilMs !== undefined && streamTime - options.latenessMs >= Math.ceil(options.untilMs / options.windowMs) * options.windowMs) break;
    streamTime = advance(t);
    const start = Math.floor(t / options.windowMs) * options.windowMs;
    if (options.untilMs !== undefined && t >= options.untilMs) continue;
    if (start + options.windowMs <= streamTime - options.latenessMs) {
      if (start >= firstStart) reference.incomplete.add(start / 1000);
      continue;
    }
    firstStart = Math.min(firstStart, start);
    const counts = reference.get(start / 1000) ?? new Map<string, number>();
    const member = by === undefined ? event.server_name : by.map((field) => readFieldText(event as unknown as Record<string, unknown>, field)).join("|");
    counts.set(member, (counts.get(member) ?? 0) + 1);
    reference.set(start / 1000, counts);
  }
  return reference;
}

/**
 * A field of a parsed event as text, the README's way (--by): a string as it is (unless it is not
 * storable Unicode), bot as true/false, namespace in decimal; anything else `(none)`.
 */
export function readFieldText(event: Record<string, unknown>, field: string): string {
  const value = event[field];
  if (field === "bot") return typeof value === "boolean" ? String(value) : "(none)";
  if (field === "namespace") return typeof value === "number" && Number.isInteger(value) ? BigInt(value).toString() : "(none)";
  return typeof value === "string" && value.isWellFormed() && !value.includes("\ufffd") ? value : "(none)";
}

/**
 * Every window a run lists in `epochs`: from the first counted one to the last final one (the
 * one before --until, else the last counted), quiet windows (nothing counted) included.
 */
export function listEpochs(reference: Reference): number[] {
  const starts = [...reference.keys()].sort((a, b) => a - b);
  const first = starts[0];
  if (first === undefined) return [];
  const step = reference.windowMs / 1000;
  const end = reference.untilMs === undefined ? (starts[starts.length - 1] ?? first) + step : Math.ceil(reference.untilMs / reference.windowMs) * step;
  const epochs: number[] = [];
  for (let start = first; start < end; start += step) epochs.push(start);
  return epochs;
}

/** The reference as the Redis keys a run must leave (window sorted sets, epochs with quiet windows, epoch_index). */
export function formatReferenceAsRedis(reference: Reference, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const starts = [...reference.keys()].sort((a, b) => a - b);
  for (const start of starts) {
    const counts = reference.get(start) ?? new Map();
    // ZRANGE order: by score, then member bytes.
    const sorted = [...counts].sort((a, b) => a[1] - b[1] || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
    out[`${prefix}${start}`] = sorted.flatMap(([name, n]) => [name, String(n)]);
  }
  if (reference.incomplete.size > 0) out[`${prefix}incomplete`] = [...reference.incomplete].map(String).sort();
  const epochs = listEpochs(reference);
  if (epochs.length > 0) {
    out[`${prefix}epochs`] = epochs.flatMap((s) => [String(s), String(s)]);
    out[`${prefix}epoch_index`] = String(epochs[epochs.length - 1]);
  }
  return out;
}

/** Options of createReplayScenario. */
export interface ScenarioOptions {
  cycles: number;
  windowMs?: number;
  latenessMs?: number;
  canaryEvery?: number;
  /** Where --until falls, counted from the start of the last cycle. */
  untilIntoLastCycleMs: number;
}

/**
 * A replay as most tests use it: the cycled capture, --since at the first window boundary, and
 * --until inside the last cycle so that later events close every window before it; with the
 * reference counts of one uninterrupted run.
 */
export function createReplayScenario(options: ScenarioOptions) {
  const windowMs = options.windowMs ?? 30_000;
  const latenessMs = options.latenessMs ?? 60_000;
  const stream = buildCycledStream({ cycles: options.cycles, windowMs, canaryEvery: options.canaryEvery });
  const sinceMs = Math.floor(stream.firstMs / windowMs) * windowMs;
  const untilMs = sinceMs + (options.cycles - 1) * stream.periodMs + options.untilIntoLastCycleMs;
  const reference = computeReference(stream.events, { windowMs, latenessMs, untilMs });
  /** The reference of one view (--by LIST). */
  const referenceBy = (by: string) => computeReference(stream.events, { windowMs, latenessMs, untilMs, by });
  return { stream, sinceMs, untilMs, reference, referenceBy };
}
