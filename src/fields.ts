/** Fields of one recentchange event that wikistream uses. */
export interface EventFields {
  /** Top-level `server_name` when it is a JSON string. */
  serverName: string | undefined;
  /** Top-level `timestamp` when it is a finite JSON number. */
  timestamp: number | undefined;
  /** Top-level `type` when it is a JSON string. */
  type: string | undefined;
  /** Top-level `bot` when it is a JSON boolean. */
  bot: boolean | undefined;
  /** `meta.dt` when `meta` is an object and `dt` a string. */
  dt: string | undefined;
  /** `meta.domain` when `meta` is an object and `domain` a string. */
  domain: string | undefined;
  /** `meta.id` when `meta` is an object and `id` a string. */
  metaId: string | undefined;
}

/** Outcome of an extraction: what `JSON.parse` would have made of the text. */
export type ExtractStatus = "ok" | "invalid-json" | "not-object";

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
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reference extractor: `JSON.parse`, then pick the fields. Fills `out` (every field reset first).
 * It defines the semantics {@link extractFields} must reproduce, and is its fallback.
 */
export function extractFieldsSlow(data: string, out: EventFields): ExtractStatus {
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
  return "ok";
}

// ---------------------------------------------------------------------------------------------
// Fast path.
//
// Exactness forces a look at every character: one raw control character anywhere inside a string
// makes JSON.parse throw. On JSC every JS-level way to look (a regex, a charCodeAt loop) costs
// 0.7-1 ns per character, close to half of what JSON.parse costs in all, and indexOf costs ~13 ns
// a call, which adds up over the ~50 strings of an event. So the work is split:
//
//  1. A tiny hand-assembled WebAssembly function scans the text 8 UTF-16 units at a time (SIMD).
//     It fails on any control character, validates every escape, and writes the position of every
//     unescaped quote, flagged when the string it closes held a backslash.
//  2. A JS walker goes over the structure between strings (punctuation, numbers, literals), takes
//     string ends from that list, and picks the fields. It never decodes an escape.
//
// Whenever either stage meets something unusual it gives up and extractFieldsSlow answers.
// ---------------------------------------------------------------------------------------------

// Character codes.
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const ONE = 49;
const NINE = 57;
const COLON = 58;
const UPPER_E = 69;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LOWER_A = 97;
const LOWER_E = 101;
const LOWER_F = 102;
const LOWER_L = 108;
const LOWER_M = 109;
const LOWER_N = 110;
const LOWER_R = 114;
const LOWER_S = 115;
const LOWER_T = 116;
const LOWER_U = 117;
const LBRACE = 123;
const RBRACE = 125;

/** Unsigned LEB128, as WebAssembly encodes sizes and indices. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** `i32.const n` (signed LEB128 immediate). */
function i32c(n: number): number[] {
  const out = [0x41];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function wasmVec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function wasmSection(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function wasmName(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

// Opcodes used below.
const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const ELSE = 0x05;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const RETURN = 0x0f;
const CALL = 0x10;
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const I32_LOAD16_U = 0x2f;
const I32_STORE = 0x36;
const I32_EQZ = 0x45;
const I32_EQ = 0x46;
const I32_NE = 0x47;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const I32_CTZ = 0x68;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;
const VOID = 0x40;
const T_I32 = 0x7f;
const T_V128 = 0x7b;
const V128_LOAD = [0xfd, 0x00, 0x00, 0x00]; // align 1, offset 0
const I16X8_SPLAT = [0xfd, 0x10];
const I16X8_EQ = [0xfd, 0x2d];
const I16X8_LT_U = [0xfd, 0x30];
const V128_OR = [0xfd, 0x50];
const I16X8_BITMASK = [0xfd, 0x84, 0x01];
/** `i32.load16_u` at `offset` bytes past the address (alignment 2). */
const load16 = (offset: number): number[] => [I32_LOAD16_U, 0x01, ...uleb(offset)];

/*
 * func index(n: i32, out: i32) -> i32     text: n UTF-16 units at byte 0; unit n must be 0
 *   locals: i end m p c count bs: i32; vctl vquote vbs v: v128
 *   end = n << 1
 *   loop: while i < end
 *     m = bitmask(v < 0x20 | v == '"' | v == '\\') for the 8 units at i, lanes past end cleared
 *     for each set lane, lowest first, at byte p:
 *       '"'  -> store (p | bs) at out + 4 * count; count++; bs = 0
 *       '\\' -> bs = 1; check the escape (`\uXXXX` or one of "\/bfnrt) or return -1;
 *               i = p + its length; restart the loop there (the escaped units are not scanned)
 *       else -> return -1 (control character)
 *     i += 16
 *   return count
 * An entry is the quote's unit index << 1, low bit set when a backslash came since the last quote.
 */
const L_N = 0;
const L_OUT = 1;
const L_I = 2;
const L_END = 3;
const L_M = 4;
const L_P = 5;
const L_C = 6;
const L_COUNT = 7;
const L_BS = 8;
const L_VCTL = 9;
const L_VQUOTE = 10;
const L_VBS = 11;
const L_V = 12;
const F_IS_HEX = 1;
const F_IS_ESCAPE = 2;
const FAIL_RESULT = [...i32c(-1), RETURN];

const indexBody: number[] = [
  ...wasmVec([
    [7, T_I32],
    [4, T_V128],
  ]),
  GET, L_N, ...i32c(1), I32_SHL, SET, L_END,
  ...i32c(0x20), ...I16X8_SPLAT, SET, L_VCTL,
  ...i32c(QUOTE), ...I16X8_SPLAT, SET, L_VQUOTE,
  ...i32c(BACKSLASH), ...I16X8_SPLAT, SET, L_VBS,
  BLOCK, VOID,
  LOOP, VOID, // chunk
  GET, L_I, GET, L_END, I32_GE_U, BR_IF, 1,
  GET, L_I, ...V128_LOAD, SET, L_V,
  GET, L_V, GET, L_VCTL, ...I16X8_LT_U,
  GET, L_V, GET, L_VQUOTE, ...I16X8_EQ, ...V128_OR,
  GET, L_V, GET, L_VBS, ...I16X8_EQ, ...V128_OR,
  ...I16X8_BITMASK, SET, L_M,
  GET, L_END, GET, L_I, I32_SUB, TEE, L_P, ...i32c(16), I32_LT_U,
  IF, VOID,
  GET, L_M, ...i32c(1), GET, L_P, ...i32c(1), I32_SHR_U, I32_SHL, ...i32c(1), I32_SUB, I32_AND, SET, L_M,
  END,
  BLOCK, VOID, // lanes done
  LOOP, VOID, // lane
  GET, L_M, I32_EQZ, BR_IF, 1,
  GET, L_I, GET, L_M, I32_CTZ, ...i32c(1), I32_SHL, I32_ADD, SET, L_P,
  GET, L_M, GET, L_M, ...i32c(1), I32_SUB, I32_AND, SET, L_M,
  GET, L_P, ...load16(0), TEE, L_C, ...i32c(QUOTE), I32_EQ,
  IF, VOID,
  GET, L_OUT, GET, L_COUNT, ...i32c(2), I32_SHL, I32_ADD,
  GET, L_P, GET, L_BS, I32_OR,
  I32_STORE, 0x02, 0x00,
  GET, L_COUNT, ...i32c(1), I32_ADD, SET, L_COUNT,
  ...i32c(0), SET, L_BS,
  BR, 1, // next lane
  END,
  GET, L_C, ...i32c(BACKSLASH), I32_NE,
  IF, VOID, ...FAIL_RESULT, END,
  ...i32c(1), SET, L_BS,
  GET, L_P, ...load16(2), TEE, L_C, ...i32c(LOWER_U), I32_EQ,
  IF, VOID,
  GET, L_P, ...load16(4), CALL, F_IS_HEX,
  GET, L_P, ...load16(6), CALL, F_IS_HEX, I32_AND,
  GET, L_P, ...load16(8), CALL, F_IS_HEX, I32_AND,
  GET, L_P, ...load16(10), CALL, F_IS_HEX, I32_AND,
  I32_EQZ, IF, VOID, ...FAIL_RESULT, END,
  GET, L_P, ...i32c(12), I32_ADD, SET, L_I,
  ELSE,
  GET, L_C, CALL, F_IS_ESCAPE, I32_EQZ, IF, VOID, ...FAIL_RESULT, END,
  GET, L_P, ...i32c(4), I32_ADD, SET, L_I,
  END,
  BR, 2, // rescan from just after the escape
  END, // lane
  END, // lanes done
  GET, L_I, ...i32c(16), I32_ADD, SET, L_I,
  BR, 0,
  END, // chunk
  END,
  GET, L_COUNT,
  END,
];

// isHex(c): c in 0-9, a-f, A-F.
const isHexBody: number[] = [
  ...wasmVec([]),
  GET, 0, ...i32c(ZERO), I32_SUB, ...i32c(10), I32_LT_U,
  GET, 0, ...i32c(0x20), I32_OR, ...i32c(LOWER_A), I32_SUB, ...i32c(6), I32_LT_U,
  I32_OR,
  END,
];

// isEscape(c): c is one of " \ / b f n r t.
const isEscapeBody: number[] = [
  ...wasmVec([]),
  ...[QUOTE, BACKSLASH, 0x2f, 0x62, LOWER_F, LOWER_N, LOWER_R, LOWER_T].flatMap((ch, j) => [
    GET, 0, ...i32c(ch), I32_EQ, ...(j === 0 ? [] : [I32_OR]),
  ]),
  END,
];

/** 16 pages = 1 MiB; texts too long for it (over ~170,000 units) take the slow path. */
const MEMORY_PAGES = 16;

const wasmBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...wasmSection(1, wasmVec([
    [0x60, 2, T_I32, T_I32, 1, T_I32],
    [0x60, 1, T_I32, 1, T_I32],
  ])),
  ...wasmSection(3, wasmVec([[0], [1], [1]])),
  ...wasmSection(5, wasmVec([[0x00, MEMORY_PAGES]])),
  ...wasmSection(7, wasmVec([
    [...wasmName("memory"), 0x02, 0],
    [...wasmName("index"), 0x00, 0],
  ])),
  ...wasmSection(10, wasmVec([indexBody, isHexBody, isEscapeBody].map((b) => [...uleb(b.length), ...b]))),
]);

/** Stage 1, or undefined where WebAssembly SIMD is missing (then every event takes the slow path). */
let indexQuotes: ((n: number, out: number) => number) | undefined;
let memoryBytes = Buffer.alloc(0);
let units = new Uint16Array(0);
let words = new Int32Array(0);
let maxUnits = -1;
try {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), {});
  const memory = instance.exports["memory"];
  const index = instance.exports["index"];
  if (memory instanceof WebAssembly.Memory && typeof index === "function") {
    indexQuotes = index as (n: number, out: number) => number;
    memoryBytes = Buffer.from(memory.buffer);
    units = new Uint16Array(memory.buffer);
    words = new Int32Array(memory.buffer);
    // Text (2n bytes), sentinel and SIMD over-read (< 48 bytes), then up to n quote entries.
    maxUnits = Math.floor((memory.buffer.byteLength - 48) / 6);
  }
} catch {
  indexQuotes = undefined;
}

/** Where stage 1 writes its quote list, past the text, its sentinel and the last vector's over-read. */
function quoteListByte(n: number): number {
  return (2 * n + 47) & ~15;
}

// Stage 2.

/** Nesting deeper than this is left to JSON.parse; 31 keeps the array/object bit stack an int. */
const MAX_DEPTH = 31;

// What the key just read names. K_META only at the top level; K_DT, K_DOMAIN, K_ID only in meta.
const K_OTHER = 0;
const K_SERVER_NAME = 1;
const K_TIMESTAMP = 2;
const K_TYPE = 3;
const K_BOT = 4;
const K_META = 5;
const K_DT = 6;
const K_DOMAIN = 7;
const K_ID = 8;

/** Value of the last number {@link scanNumber} read. */
let numberValue = 0;

// Stage 1 fails on any control character, so tab, LF and CR cannot reach stage 2: space is the
// only whitespace left.
function skipSpaces(i: number): number {
  while (units[i] === SPACE) i++;
  return i;
}

/** Whether the units at `s` spell `lit`. */
function spells(s: number, lit: string): boolean {
  for (let j = 0; j < lit.length; j++) {
    if (units[s + j] !== lit.charCodeAt(j)) return false;
  }
  return true;
}

function topKey(s: number, len: number): number {
  switch (len) {
    case 11:
      return spells(s, "server_name") ? K_SERVER_NAME : K_OTHER;
    case 9:
      return spells(s, "timestamp") ? K_TIMESTAMP : K_OTHER;
    case 4: {
      const c = units[s];
      if (c === LOWER_T) return spells(s, "type") ? K_TYPE : K_OTHER;
      if (c === LOWER_M) return spells(s, "meta") ? K_META : K_OTHER;
      return K_OTHER;
    }
    case 3:
      return spells(s, "bot") ? K_BOT : K_OTHER;
    default:
      return K_OTHER;
  }
}

function metaKey(s: number, len: number): number {
  if (len === 2) {
    if (spells(s, "dt")) return K_DT;
    if (spells(s, "id")) return K_ID;
    return K_OTHER;
  }
  return len === 6 && spells(s, "domain") ? K_DOMAIN : K_OTHER;
}

/** Records that the field named by `key` holds a value of the wrong kind. */
function clearField(out: EventFields, key: number): void {
  switch (key) {
    case K_SERVER_NAME:
      out.serverName = undefined;
      break;
    case K_TIMESTAMP:
      out.timestamp = undefined;
      break;
    case K_TYPE:
      out.type = undefined;
      break;
    case K_BOT:
      out.bot = undefined;
      break;
    case K_META:
      out.dt = undefined;
      out.domain = undefined;
      out.metaId = undefined;
      break;
    case K_DT:
      out.dt = undefined;
      break;
    case K_DOMAIN:
      out.domain = undefined;
      break;
    case K_ID:
      out.metaId = undefined;
      break;
  }
}

function setString(out: EventFields, key: number, v: string): void {
  switch (key) {
    case K_SERVER_NAME:
      out.serverName = v;
      break;
    case K_TYPE:
      out.type = v;
      break;
    case K_DT:
      out.dt = v;
      break;
    case K_DOMAIN:
      out.domain = v;
      break;
    case K_ID:
      out.metaId = v;
      break;
    default:
      clearField(out, key);
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** Reads the JSON number at `i` into {@link numberValue}; returns the index after it, or -1. */
function scanNumber(d: string, i: number): number {
  const start = i;
  let c = units[i];
  let neg = false;
  if (c === MINUS) {
    neg = true;
    c = units[++i];
  }
  let v = 0;
  if (c === ZERO) {
    c = units[++i];
  } else if (c !== undefined && c >= ONE && c <= NINE) {
    do {
      v = v * 10 + (c - ZERO);
      c = units[++i];
    } while (c !== undefined && c >= ZERO && c <= NINE);
  } else {
    return -1;
  }
  // Up to 15 digits (plus a sign) the running value is exact.
  let simple = i - start <= 16;
  if (c === DOT) {
    simple = false;
    if (!isDigit(units[++i])) return -1;
    while (isDigit(units[++i]));
    c = units[i];
  }
  if (c === LOWER_E || c === UPPER_E) {
    simple = false;
    c = units[++i];
    if (c === PLUS || c === MINUS) ++i;
    if (!isDigit(units[i])) return -1;
    while (isDigit(units[++i]));
  }
  // A JSON number is also a Number() string, and the two round alike.
  numberValue = simple ? (neg ? -v : v) : Number(d.slice(start, i));
  return i;
}

/** Checks `true`, `false` or `null` at `i` (first unit `c`); returns the index after it, or -1. */
function scanLiteral(i: number, c: number): number {
  if (c === LOWER_T) return spells(i + 1, "rue") ? i + 4 : -1;
  if (c === LOWER_F) return spells(i + 1, "alse") ? i + 5 : -1;
  if (c === LOWER_N) return spells(i + 1, "ull") ? i + 4 : -1;
  return -1;
}

/** True when the text is surely a JSON object and `out` (reset by the caller) holds its fields. */
function walk(d: string, out: EventFields): boolean {
  const n = d.length;
  if (indexQuotes === undefined || n > maxUnits) return false;
  memoryBytes.write(d, 0, "utf16le");
  units[n] = 0; // a sentinel no scanner accepts
  const listByte = quoteListByte(n);
  const count = indexQuotes(n, listByte);
  if (count < 0) return false;
  let k = listByte >> 2;
  const kEnd = k + count;

  let i = skipSpaces(0);
  if (units[i] !== LBRACE) return false;
  let depth = 0;
  let arrays = 0; // bit d set: the container at depth d + 1 is an array
  let inMeta = false; // inside the top-level meta object (depth 2)
  let key = K_OTHER;
  let expectKey = false;
  for (;;) {
    if (expectKey) {
      expectKey = false;
      if (units[i] !== QUOTE || words[k] !== i << 1 || k + 1 >= kEnd) return false;
      const close = words[k + 1] ?? 0;
      k += 2;
      const end = close >> 1;
      if (depth === 1 || inMeta) {
        // Only a key written with an escape is unusual enough to need JSON.parse.
        if ((close & 1) !== 0) return false;
        key = depth === 1 ? topKey(i + 1, end - i - 1) : depth === 2 ? metaKey(i + 1, end - i - 1) : K_OTHER;
      } else {
        key = K_OTHER;
      }
      i = skipSpaces(end + 1);
      if (units[i] !== COLON) return false;
      i = skipSpaces(i + 1);
    }

    // A value at i; `key` says which field it is.
    let c = units[i] ?? 0;
    if (c === QUOTE) {
      if (words[k] !== i << 1 || k + 1 >= kEnd) return false;
      const close = words[k + 1] ?? 0;
      k += 2;
      const end = close >> 1;
      if (key !== K_OTHER) {
        // A picked string with an escape is decoded by JSON.parse.
        if ((close & 1) !== 0) return false;
        setString(out, key, d.slice(i + 1, end));
      }
      i = end + 1;
    } else if (c === LBRACE || c === LBRACKET) {
      if (depth === MAX_DEPTH) return false;
      const isArray = c === LBRACKET;
      if (key !== K_OTHER) clearField(out, key);
      if (key === K_META && !isArray) inMeta = true;
      arrays = isArray ? arrays | (1 << depth) : arrays & ~(1 << depth);
      depth++;
      i = skipSpaces(i + 1);
      if (units[i] !== (isArray ? RBRACKET : RBRACE)) {
        key = K_OTHER;
        expectKey = !isArray;
        continue;
      }
      // An empty container: close it below.
      depth--;
      i++;
      if (depth === 1) inMeta = false;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = scanNumber(d, i);
      if (i < 0) return false;
      if (key === K_TIMESTAMP && Number.isFinite(numberValue)) out.timestamp = numberValue;
      else if (key !== K_OTHER) clearField(out, key);
    } else {
      i = scanLiteral(i, c);
      if (i < 0) return false;
      if (key === K_BOT && c !== LOWER_N) out.bot = c === LOWER_T;
      else if (key !== K_OTHER) clearField(out, key);
    }

    // After a value: close containers until a comma or the end.
    for (;;) {
      if (depth === 0) return skipSpaces(i) === n && k === kEnd;
      i = skipSpaces(i);
      c = units[i] ?? 0;
      const inArray = ((arrays >> (depth - 1)) & 1) !== 0;
      if (c === COMMA) {
        i = skipSpaces(i + 1);
        key = K_OTHER;
        expectKey = !inArray;
        break;
      }
      if (c !== (inArray ? RBRACKET : RBRACE)) return false;
      i++;
      depth--;
      if (depth === 1) inMeta = false;
    }
  }
}

/**
 * Fast path: fills `out` (every field reset first) from the raw JSON text, with exactly the result of
 * {@link extractFieldsSlow}. Only the top level and `meta` are looked at closely; whenever the text
 * is unusual (escapes in a picked string or key, control characters, deep nesting, invalid JSON...)
 * it falls back to {@link extractFieldsSlow}.
 */
export function extractFields(data: string, out: EventFields): ExtractStatus {
  reset(out);
  if (walk(data, out)) return "ok";
  return extractFieldsSlow(data, out);
}
