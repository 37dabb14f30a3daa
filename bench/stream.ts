/**
 * The benchmark's event stream: real recentchange events, cycled, with event time moving
 * steadily forward and a unique meta.id each, framed exactly like EventStreams.
 * Pure and deterministic: event `i` is the same text in every process that renders it.
 */
import { readEventLines } from "./corpus.ts";
import { addMembers, listMembers, type ViewCounts } from "./members.ts";

/** Kafka topic named in every SSE `id:` line. */
export const TOPIC = "eqiad.mediawiki.recentchange";
/** Kafka offset of event 0. */
export const BASE_OFFSET = 5_000_000_000;
/** Event time of event 0: window-aligned, and far enough in the past that 2M events stay behind the wall clock. */
export const START_MS = Date.UTC(2025, 0, 1);
/** Window length: wikistream's default, used by every consumer in the benchmark. */
export const WINDOW_MS = 30_000;
/** Allowed lateness: wikistream's default, used by every consumer in the benchmark. */
export const LATENESS_MS = 60_000;
/** What EventStreams sends first on every connection. */
export const PREAMBLE = ":ok\n\n";

type Slot = "timestamp" | "dt" | "id" | "offset";

/** One real event, split around the fields each copy rewrites. */
export interface Template {
  /** Text between the slots; one more than `slots`. */
  parts: string[];
  slots: Slot[];
  /** Whether a consumer must count a copy (a string, usable server_name; not a canary). */
  counted: boolean;
  /** UTF-8 bytes of `parts`, for sizing buffers. */
  bytes: number;
}

interface RawEvent {
  timestamp?: unknown;
  server_name?: unknown;
  meta?: { dt?: unknown; id?: unknown; offset?: unknown; domain?: unknown };
}

const SENTINEL = /"@@(TS|OF)@@"|@@(DT|ID)@@/g;
const SLOT_OF: Record<string, Slot> = { TS: "timestamp", OF: "offset", DT: "dt", ID: "id" };

function isUsableServerName(name: unknown): boolean {
  return typeof name === "string" && name.length > 0 && name.length <= 255 && !/[\u0000-\u001f\u007f\ufffd]/.test(name);
}

/** Turns one real event's JSON text into a template; key order and every other byte are kept. */
export function parseTemplate(line: string): Template {
  const event = JSON.parse(line) as RawEvent;
  const meta = event.meta ?? {};
  event.meta = meta;
  const counted = isUsableServerName(event.server_name) && meta.domain !== "canary";
  event.timestamp = "@@TS@@";
  meta.dt = "@@DT@@";
  // Keep the first 24 characters of the real UUID; the last 12 become the copy number in hex.
  meta.id = `${typeof meta.id === "string" ? meta.id.slice(0, 24).padEnd(24, "0") : "00000000-0000-4000-8000-"}@@ID@@`;
  meta.offset = "@@OF@@";
  const text = JSON.stringify(event);
  const parts: string[] = [];
  const slots: Slot[] = [];
  let last = 0;
  for (const match of text.matchAll(SENTINEL)) {
    parts.push(text.slice(last, match.index));
    slots.push(SLOT_OF[match[1] ?? match[2] ?? ""] ?? "timestamp");
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return { parts, slots, counted, bytes: Buffer.byteLength(parts.join("")) };
}

/** Every real event of the test corpus as a template. */
export function loadTemplates(): Template[] {
  return readEventLines().map(parseTemplate);
}

/** Event time (ms) of event `i` when `ratePerSec` events share each second of event time. */
export function resolveEventMs(i: number, ratePerSec: number): number {
  return START_MS + Math.floor((i * 1000) / ratePerSec);
}

/** The `data:` JSON of copy `i` of `template`, stamped with event time `timeMs`. */
export function renderEvent(template: Template, i: number, timeMs: number): string {
  const { parts, slots } = template;
  let text = parts[0] ?? "";
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k];
    const value =
      slot === "timestamp"
        ? String(Math.floor(timeMs / 1000))
        : slot === "dt"
          ? new Date(timeMs).toISOString()
          : slot === "id"
            ? i.toString(16).padStart(12, "0")
            : String(BASE_OFFSET + i);
    text += value + (parts[k + 1] ?? "");
  }
  return text;
}

/** The SSE frame of event `i`, as EventStreams writes it. */
export function renderFrame(templates: readonly Template[], i: number, timeMs: number): string {
  const template = templates[i % templates.length];
  if (template === undefined) throw new Error("no templates");
  return `event: message\nid: [{"topic":"${TOPIC}","partition":0,"offset":${BASE_OFFSET + i}}]\ndata: ${renderEvent(template, i, timeMs)}\n\n`;
}

/** Which event index an SSE `Last-Event-ID` points past (the next one to send); 0 when unreadable. */
export function resolveResumeIndex(lastEventId: string | null): number {
  if (lastEventId === null) return 0;
  const match = /"offset":(\d+)/.exec(lastEventId);
  return match ? Math.max(0, Number(match[1]) - BASE_OFFSET + 1) : 0;
}

/** `count` frames pre-encoded into one buffer, with the byte offset where each frame starts. */
export interface EncodedStream {
  bytes: Uint8Array;
  /** offsets[i] is where frame i starts; offsets[count] is the end. */
  offsets: Float64Array;
}

/** Renders and UTF-8-encodes frames 0 … count-1 into one buffer. */
export function encodeFrames(templates: readonly Template[], count: number, ratePerSec: number): EncodedStream {
  let capacity = 0;
  for (let i = 0; i < count; i++) capacity += (templates[i % templates.length]?.bytes ?? 0) + 200;
  const bytes = new Uint8Array(capacity);
  const offsets = new Float64Array(count + 1);
  const encoder = new TextEncoder();
  let pos = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = pos;
    const { read, written } = encoder.encodeInto(renderFrame(templates, i, resolveEventMs(i, ratePerSec)), bytes.subarray(pos));
    if (read === 0) throw new Error(`frame ${i} did not fit`);
    pos += written;
  }
  offsets[count] = pos;
  return { bytes: bytes.subarray(0, pos), offsets };
}

/** A run's stopping point and what it must have counted by then. */
export interface Expectation {
  /** Passed as --until: window-aligned, so that the last window is whole. */
  untilMs: number;
  /** Events a consumer reads before it may stop (the first event whose time closes the last window, inclusive). */
  eventsRead: number;
  /** Events that must be counted: all usable ones dated before `untilMs` (none are late: times only grow). */
  counted: number;
  /** Window start (ms) → expected total. */
  totals: Map<number, number>;
  /** Each view asked for (`--by LIST`) → its count of the data (bench/members.ts). */
  views: Map<string, ViewCounts>;
}

/**
 * The --until for a stream of `count` events (the last window boundary that the stream's own
 * events can still close, so consumers stop near its end) and the counts that go with it: window
 * totals, and the members of each view in `lists`. Members are read with JSON.parse from the text
 * the server sends for each template: its copies differ from it only in timestamp, meta.dt,
 * meta.id and meta.offset, which no view reads.
 */
export function computeExpectation(templates: readonly Template[], count: number, ratePerSec: number, lists: readonly string[] = ["server_name"]): Expectation {
  const lastSeconds = Math.floor(resolveEventMs(count - 1, ratePerSec) / 1000) * 1000;
  const untilMs = Math.floor((lastSeconds - LATENESS_MS) / WINDOW_MS) * WINDOW_MS;
  if (untilMs <= START_MS) throw new Error(`${count} events at ${ratePerSec}/s are too few to close a window`);
  const totals = new Map<number, number>();
  const members = listMembers(templates.map((t) => (t.counted ? renderEvent(t, 0, START_MS) : null)), lists);
  const views = lists.map((): ViewCounts => new Map());
  let counted = 0;
  let eventsRead = count;
  for (let i = 0; i < count; i++) {
    const timeMs = Math.floor(resolveEventMs(i, ratePerSec) / 1000) * 1000;
    if (timeMs - LATENESS_MS >= untilMs) {
      eventsRead = i + 1;
      break;
    }
    const eventMembers = members[i % templates.length];
    if (timeMs >= untilMs || !templates[i % templates.length]?.counted || !eventMembers) continue;
    counted++;
    const start = Math.floor(timeMs / WINDOW_MS) * WINDOW_MS;
    totals.set(start, (totals.get(start) ?? 0) + 1);
    addMembers(views, eventMembers, start);
  }
  return { untilMs, eventsRead, counted, totals, views: new Map(lists.map((list, v) => [list, views[v] ?? new Map()])) };
}

/** Cumulative Zipf weights (1/k) over `n` wikis, memoised per n. */
const zipfTables = new Map<number, Float64Array>();
function zipfTable(n: number): Float64Array {
  let table = zipfTables.get(n);
  if (table) return table;
  table = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) table[k] = sum += 1 / (k + 1);
  for (let k = 0; k < n; k++) table[k] = (table[k] ?? 0) / sum;
  zipfTables.set(n, table);
  return table;
}

/**
 * The frame with its server_name replaced by one of `wikis` synthetic names, drawn for event `i`
 * from a Zipf distribution (a few wikis take most edits, as on Wikimedia), deterministically.
 * For the memory benchmark, which needs as many wikis per window as the real stream has.
 */
export function spreadServerName(frame: string, i: number, wikis: number): string {
  const table = zipfTable(wikis);
  const u = (Math.imul(i + 1, 2654435761) >>> 0) / 4294967296;
  let low = 0;
  let high = wikis - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((table[mid] ?? 1) < u) low = mid + 1;
    else high = mid;
  }
  return frame.replace(/"server_name":"[^"]*"/, `"server_name":"w${low}.wikipedia.org"`);
}
