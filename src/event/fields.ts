/**
 * The fields of a recentchange event that wikistream uses, read from its raw JSON text: exactly
 * what `JSON.parse` and a pick would give (extractFieldsSlow), found mostly by the WebAssembly
 * scanner (scanner.ts, scanner.wat) in a fraction of the time.
 */
import { scanLatin1 } from "./scanner.ts";
import { SCANNER_VIEW_FIELDS, type ViewFieldKey } from "./scanner-fields.ts";
import { VIEW_FIELD, type EventFields, type ExtractStatus, type ViewFieldMask } from "./types.ts";

export { scannerStatus, type ScannerStatus } from "./scanner.ts";
export { VIEW_FIELD, type EventFields, type ExtractStatus, type ViewFieldMask };

/** The view fields' members as one record: what the pick's loop over the table writes. */
type ViewMembers = Record<ViewFieldKey, string | number | undefined>;

// The view members below are generated from scanner-fields.ts (`bun run scanner`): written out
// one by one, so every object has one shape, built in one literal, and each store is to a named
// member (what JSC makes fastest: these run for every event).

/** A fresh {@link EventFields} with every field undefined. */
export function createEventFields(): EventFields {
  return {
    serverName: undefined,
    timestamp: undefined,
    type: undefined,
    bot: undefined,
    dt: undefined,
    domain: undefined,
    metaId: undefined,
    // <generated: view-create>
    wiki: undefined,
    title: undefined,
    user: undefined,
    logType: undefined,
    namespace: undefined,
    // </generated>
  };
}

function reset(out: EventFields): void {
  out.serverName = undefined;
  out.timestamp = undefined;
  out.type = undefined;
  out.bot = undefined;
  out.dt = undefined;
  out.domain = undefined;
  out.metaId = undefined;
  // <generated: view-reset>
  out.wiki = undefined;
  out.title = undefined;
  out.user = undefined;
  out.logType = undefined;
  out.namespace = undefined;
  // </generated>
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reference extractor: `JSON.parse`, then pick the fields. Fills `out` (every field reset first).
 * It defines the semantics {@link extractFieldsLatin1} must reproduce, and is its fallback. The
 * view fields `want` asks for are picked from `JSON.parse` of the text's UTF-8 decoded (`data`
 * must then be a Latin-1 view of UTF-8 bytes: every character at most 0xff).
 */
export function extractFieldsSlow(data: string, out: EventFields, want: ViewFieldMask = 0): ExtractStatus {
  reset(out);
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return "invalid-json";
  }
  if (!isRecord(v)) return "not-object";
  const serverName = v["server_name"];
  if (typeof serverName === "string") out.serverName = serverName;
  const timestamp = v["timestamp"];
  if (typeof timestamp === "number" && Number.isFinite(timestamp)) out.timestamp = timestamp;
  const type = v["type"];
  if (typeof type === "string") out.type = type;
  const bot = v["bot"];
  if (typeof bot === "boolean") out.bot = bot;
  const meta = v["meta"];
  if (isRecord(meta)) {
    const dt = meta["dt"];
    if (typeof dt === "string") out.dt = dt;
    const domain = meta["domain"];
    if (typeof domain === "string") out.domain = domain;
    const id = meta["id"];
    if (typeof id === "string") out.metaId = id;
  }
  if (want !== 0) pickViewFields(data, out, want);
  return "ok";
}

/**
 * The view fields `want` asks for, from `JSON.parse` of the UTF-8 that the Latin-1 view `data`
 * carries. The caller has parsed `data` itself: the decoded text is then valid JSON too (UTF-8
 * decoding leaves every ASCII byte as it is, and turns the others, which JSON allows only inside
 * strings, into characters from U+0080 up, allowed there too), with the same tokens.
 */
function pickViewFields(data: string, out: EventFields, want: ViewFieldMask): void {
  const v = JSON.parse(Buffer.from(data, "latin1").toString("utf8")) as Record<string, unknown>;
  const view: ViewMembers = out;
  for (let f = 0; f < SCANNER_VIEW_FIELDS.length; f++) {
    const field = SCANNER_VIEW_FIELDS[f];
    if (field === undefined || (want & (1 << f)) === 0) continue;
    const value = v[field.json];
    // A value of another JSON type is no value of the field.
    if (typeof value === (field.kind === "text" ? "string" : "number")) view[field.key] = value as string | number;
  }
}

// ---------------------------------------------------------------------------------------------
// Fast path: the WebAssembly scanner (scanner.wat explains it), JSON.parse when it declines.

/** Events handed to JSON.parse by {@link extractFieldsLatin1} since start-up. */
let slowPaths = 0;

/**
 * Fills `out` (every field reset first) from the raw JSON text, with exactly the result of
 * {@link extractFieldsSlow} of the same text. `data` is text whose every character is at most
 * 0xff, such as the Latin-1 view of UTF-8 bytes the SSE source hands over: it is copied and
 * scanned one byte a character. The caller guarantees the precondition; a character above 0xff
 * would be read as its low byte, and the answer be wrong.
 *
 * The WebAssembly scanner answers usual events; whenever the text is unusual (escapes in a picked
 * string or a key, control characters, deep nesting, invalid JSON...), or the scanner did not load
 * (see {@link scannerStatus}), {@link extractFieldsSlow} answers and {@link slowPathCount} grows.
 */
export function extractFieldsLatin1(data: string, out: EventFields, want: ViewFieldMask = 0): ExtractStatus {
  reset(out);
  if (scanLatin1(data, out, want)) return "ok";
  slowPaths++;
  return extractFieldsSlow(data, out, want);
}

/**
 * How many events {@link extractFieldsLatin1} has handed to `JSON.parse` since start-up, whatever
 * the outcome: invalid events always go there, valid ones only when unusual (none of the 10,966
 * real events the tests keep), and every event when the scanner did not load.
 */
export function slowPathCount(): number {
  return slowPaths;
}

/** Whether {@link extractFieldsLatin1} answers `data` (every character at most 0xff), reading the view fields `want` asks for, without `JSON.parse` (for tests and the benchmark; not counted). */
export function fastPathAcceptsLatin1(data: string, want: ViewFieldMask = 0): boolean {
  return scanLatin1(data, createEventFields(), want);
}

// ---------------------------------------------------------------------------------------------
// Real text: the fields above are Latin-1 views of the event's UTF-8 bytes (escapes decoded).

/** The string fields of {@link EventFields}: the text a counted field may be read from. */
export type TextField = "serverName" | "type" | "dt" | "domain" | "metaId";

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Whether `text` (real characters) survives a UTF-8 round trip unchanged, so it can be stored
 * (Redis members are bytes) without meeting another text. A lone UTF-16 surrogate cannot be
 * encoded: every one would be stored as U+FFFD, so "x\ud800.org" and "x\udc00.org" would merge.
 * U+FFFD itself is where the decoder put bytes that were not UTF-8, and a literal one cannot be
 * told apart from those, so it is refused too.
 */
export function survivesUtf8(text: string): boolean {
  return text.isWellFormed() && !text.includes("\ufffd");
}

/**
 * The real text of the picked field `field`, whose value `raw` {@link extractFieldsLatin1} read
 * from `data` (either path gives the same raw): raw itself when it is ASCII, else the field of
 * the event decoded from UTF-8 (bytes that are not UTF-8 elsewhere in the event do not touch it).
 * Null when that text does not survive a UTF-8 round trip ({@link survivesUtf8}): the caller
 * skips the event, since no stored text could stand for it alone. `scratch` is overwritten.
 */
export function decodeTextField(field: TextField, raw: string, data: string, scratch: EventFields): string | null {
  if (ASCII.test(raw)) return raw;
  // The event's UTF-8 decoded (as lib/latin1.ts does; this module stays on its own, see scanner.test.ts).
  extractFieldsSlow(Buffer.from(data, "latin1").toString("utf8"), scratch);
  const text = scratch[field];
  return text !== undefined && survivesUtf8(text) ? text : null;
}
