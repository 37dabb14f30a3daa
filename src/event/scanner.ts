/**
 * The WebAssembly field scanner: loads the committed scanner.wasm (assembled from scanner.wat,
 * which explains the design, the memory layout and the answer record), runs it on one event's
 * text and turns its answer into strings. fields.ts decides when to use it.
 */
import { readFileSync } from "node:fs";
import type { EventFields, ViewFieldMask } from "./types.ts";
// With type "file" Bun hands over the file's path, and `bun build --compile` embeds the file in
// the executable (the path then names it inside the executable's own file system).
import scannerWasmPath from "./scanner.wasm" with { type: "file" };

/** Whether the fast path is on, and why not when it is off. */
export interface ScannerStatus {
  /** True when the WebAssembly scanner loaded; false when every event goes through `JSON.parse`. */
  readonly fast: boolean;
  /** Why the scanner did not load (only when `fast` is false). */
  readonly reason?: string;
}

/** The loaded module's entry point and memory. */
export interface ScannerModule {
  /** `run(n, list, out, want)`: 1 when the text of n bytes at 0 is one JSON object, its answer at `out` (the view fields `want` asks for included). */
  readonly run: (n: number, list: number, out: number, want: ViewFieldMask) => number;
  readonly memory: ArrayBuffer;
}

// The answer record (scanner.wat: "Answer record"): key code k's slot is at 8 * k; the view
// fields' codes are FIRST_VIEW_SLOT up, in the order of SCANNER_VIEW_FIELDS.
const K_SERVER_NAME = 1;
const K_TYPE = 2;
const K_DT = 3;
const K_DOMAIN = 4;
const K_ID = 5;
const OUT_BOT = 48;
const OUT_TS_KIND = 56;
const OUT_TS_START = 64;
const OUT_TS_END = 68;
const OUT_TS_VALUE = 112;
/** Bytes of the answer record, at the end of memory. */
const OUT_BYTES = 128;

/**
 * Instantiates the scanner from its bytes. Throws, saying what is wrong, when the bytes are no
 * module this engine runs (no WebAssembly, no SIMD) or lack the expected exports.
 */
export function instantiateScanner(bytes: Uint8Array<ArrayBuffer>): ScannerModule {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const { memory, run } = instance.exports;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("the module exports no memory");
  if (typeof run !== "function") throw new Error("the module exports no run function");
  return { run: run as ScannerModule["run"], memory: memory.buffer };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Reads and instantiates scanner.wasm; on failure, says why rather than throwing. */
function loadScanner(): { module: ScannerModule | undefined; status: ScannerStatus } {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = readFileSync(scannerWasmPath);
  } catch (error) {
    return { module: undefined, status: { fast: false, reason: `cannot read ${scannerWasmPath}: ${describeError(error)}` } };
  }
  try {
    return { module: instantiateScanner(bytes), status: { fast: true } };
  } catch (error) {
    return { module: undefined, status: { fast: false, reason: `cannot instantiate ${scannerWasmPath}: ${describeError(error)}` } };
  }
}

const loaded = loadScanner();

/**
 * Whether the WebAssembly scanner loaded. When it did not (`fast: false`, with the `reason`),
 * every event still gets the exact answer, from `JSON.parse`, only several times slower: worth a
 * warning at start-up.
 */
export function scannerStatus(): ScannerStatus {
  return loaded.status;
}

// Module-level constants (not `let`) so JSC can fold them into the hot path.
const runScanner = loaded.module?.run;
const memory = loaded.module?.memory ?? new ArrayBuffer(0);
/** The module never grows its memory, so these views stay valid. */
const memoryBytes = Buffer.from(memory);
const words = new Int32Array(memory);
const doubles = new Float64Array(memory);
const outByte = memory.byteLength - OUT_BYTES;
const outWord = outByte >> 2;
/**
 * Longest text the memory holds: n bytes, the sentinel and stage 1's over-read below the list at
 * (n + 47) & ~15 (at most n + 47), then up to n entries, the -1 and 3 spare entries (4n + 16).
 */
const maxLength = runScanner === undefined ? -1 : Math.floor((outByte - 63) / 5);

/** Where stage 1 writes its quote list: past the text, its sentinel and the last block's over-read. */
function quoteListByte(n: number): number {
  return (n + 32 + 15) & ~15;
}

/**
 * Runs the scanner on `text`, whose every character must be at most 0xff (one byte a character;
 * a wider one would be read as its low byte, and the answer be wrong). True when it answered: the
 * text is one JSON object and the picked fields, with the view fields `want` asks for, are set in
 * `out`, exactly as JSON.parse and the pick would set them (the caller resets `out` first). False
 * when it declined (unusual or invalid text, too long, or no scanner): `out` is untouched, and
 * JSON.parse must answer.
 */
export function scanLatin1(text: string, out: EventFields, want: ViewFieldMask): boolean {
  const n = text.length;
  if (runScanner === undefined || n > maxLength) return false;
  memoryBytes.write(text, 0, "latin1");
  memoryBytes[n] = 0; // the sentinel no stage accepts
  if (runScanner(n, quoteListByte(n), outByte, want) === 0) return false;
  readAnswer(text, out);
  if (want !== 0) readViewFields(text, out);
  return true;
}

/** Copies the answer record into `out`: slices of `text` for the strings, then bot and timestamp. */
function readAnswer(text: string, out: EventFields): void {
  const o = outWord;
  let s = words[o + 2 * K_SERVER_NAME] ?? -1;
  if (s >= 0) out.serverName = text.slice(s, words[o + 2 * K_SERVER_NAME + 1]);
  s = words[o + 2 * K_TYPE] ?? -1;
  if (s >= 0) out.type = text.slice(s, words[o + 2 * K_TYPE + 1]);
  s = words[o + 2 * K_DT] ?? -1;
  if (s >= 0) out.dt = text.slice(s, words[o + 2 * K_DT + 1]);
  s = words[o + 2 * K_DOMAIN] ?? -1;
  if (s >= 0) out.domain = text.slice(s, words[o + 2 * K_DOMAIN + 1]);
  s = words[o + 2 * K_ID] ?? -1;
  if (s >= 0) out.metaId = text.slice(s, words[o + 2 * K_ID + 1]);
  s = words[o + (OUT_BOT >> 2)] ?? -1;
  if (s >= 0) out.bot = s === 1;
  s = words[o + (OUT_TS_KIND >> 2)] ?? -1;
  if (s === 0) {
    out.timestamp = doubles[(outByte + OUT_TS_VALUE) >> 3];
  } else if (s === 1) {
    // A JSON number is also a Number() string, and the two round alike.
    const v = Number(text.slice(words[o + (OUT_TS_START >> 2)], words[o + (OUT_TS_END >> 2)]));
    if (Number.isFinite(v)) out.timestamp = v;
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * The real text of a view string of `text` from `start`, its closing quote's list entry `close`
 * (end << 1, plus 1 when it holds an escape): exactly JSON.parse's value of that string in the
 * event's UTF-8 text. Its bytes are UTF-8 (decoded from the copy in memory unless all ASCII);
 * then its escapes, which stage 1 found valid, are JSON's own to decode: a string literal of the
 * decoded characters parses as the same string did within the whole event.
 */
function decodeViewString(text: string, start: number, close: number): string {
  const end = close >> 1;
  const raw = text.slice(start, end);
  const real = ASCII.test(raw) ? raw : memoryBytes.toString("utf8", start, end);
  return (close & 1) === 0 ? real : (JSON.parse(`"${real}"`) as string);
}

/** The view string of key code `k`, or undefined when the answer has none. */
function readViewString(text: string, k: number): string | undefined {
  const s = words[outWord + 2 * k] ?? -1;
  return s < 0 ? undefined : decodeViewString(text, s, words[outWord + 2 * k + 1] ?? 0);
}

/** The view number of key code `k` (start and end of its text), or undefined when the answer has none. */
function readViewNumber(text: string, k: number): number | undefined {
  const s = words[outWord + 2 * k] ?? -1;
  // A JSON number is also a Number() string, and the two round alike (1e400 is Infinity in both).
  return s < 0 ? undefined : Number(text.slice(s, words[outWord + 2 * k + 1]));
}

/** Copies the view fields of the answer into `out` (those not asked for are absent from it): generated from scanner-fields.ts, each at its key code. */
function readViewFields(text: string, out: EventFields): void {
  // <generated: view-read>
  out.wiki = readViewString(text, 9);        // K_WIKI
  out.title = readViewString(text, 10);      // K_TITLE
  out.user = readViewString(text, 11);       // K_USER
  out.logType = readViewString(text, 12);    // K_LOG_TYPE
  out.namespace = readViewNumber(text, 13);  // K_NAMESPACE
  // </generated>
}
