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
// makes JSON.parse throw. Measured on Bun/JSC with the real events (~1,000 chars, ~50 strings,
// JSON.parse ~2 us): a control-character regex over the text costs ~0.75 us, a charCodeAt loop
// ~1 ns a char, and indexOf ~13 ns a call, so a JS walk that skips strings with indexOf and also
// checks control characters ends up no faster than JSON.parse. So the work is split:
//
//  1. A small hand-assembled WebAssembly function (SIMD, 32 bytes a step) fails on any control
//     character, validates every escape, and lists every unescaped quote, flagging the closing
//     quote of a string that holds an escape. The text gets there one byte a character: by a
//     Latin-1 Buffer.write when the caller vouches that every char is at most 0xff (the SSE
//     source's text; half the copy and scan of UTF-16), else as UTF-16 narrowed in place.
//  2. A JS walker reads the structure between strings (punctuation, numbers, literals), takes the
//     string ends from that list, and picks the fields at the top level and in meta. It never
//     decodes an escape.
//
// Whenever either stage meets something unusual it gives up and extractFieldsSlow answers. The
// tests compare both paths on real, adversarial and random input.
// ---------------------------------------------------------------------------------------------

// Character codes.
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const ZERO = 48;
const ONE = 49;
const NINE = 57;
const COLON = 58;
const UPPER_E = 69;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LOWER_A = 97;
const LOWER_B = 98;
const LOWER_D = 100;
const LOWER_E = 101;
const LOWER_F = 102;
const LOWER_I = 105;
const LOWER_M = 109;
const LOWER_N = 110;
const LOWER_P = 112;
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
const I32_LOAD8_U = 0x2d;
const I32_STORE = 0x36;
const I32_EQZ = 0x45;
const I32_EQ = 0x46;
const I32_NE = 0x47;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const I32_CTZ = 0x68;
const I32_POPCNT = 0x69;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_SHL = 0x74;
const I32_SHR_U = 0x76;
const VOID = 0x40;
const T_I32 = 0x7f;
const T_V128 = 0x7b;
/** `v128.load` at `offset` bytes past the address (alignment 1). */
const vload = (offset: number): number[] => [0xfd, 0x00, 0x00, ...uleb(offset)];
const I8X16_SPLAT = [0xfd, 0x0f];
const I8X16_EQ = [0xfd, 0x23];
const I8X16_LT_U = [0xfd, 0x26];
const V128_OR = [0xfd, 0x50];
const I8X16_BITMASK = [0xfd, 0x64];
const I8X16_NARROW_I16X8_S = [0xfd, 0x65];
/** `v128.store` at the address (alignment 1, offset 0). */
const V128_STORE = [0xfd, 0x0b, 0x00, 0x00];
/** `i32.load8_u` at `offset` bytes past the address. */
const load8 = (offset: number): number[] => [I32_LOAD8_U, 0x00, ...uleb(offset)];

/*
 * func index(n: i32, out: i32) -> i32      text: n bytes from byte 0, one a character; byte n must be 0
 *   for each block of 32 bytes at i (lanes past the end ignored):
 *     q = bitmask(byte == '"'), x = bitmask(byte <u 0x20 | byte == '\\')
 *     if x: keep only the quotes below the first special lane f
 *     for each quote lane, lowest first, at p:
 *       store p << 1 at out + 4 * count (the first one or-ed with bs); count++; bs = 0
 *     if !x: i += 32, next block
 *     special at p: a control character -> return -1;
 *       a backslash -> bs = 1; check the escape (\\uXXXX or one of "\\/bfnrt) or return -1;
 *       i = p + its length (the escaped bytes are never scanned), next block
 *   store -1 at out + 4 * count; return count
 * An entry is the quote's index << 1, low bit set when a backslash came since the last quote,
 * i.e. (for a closing quote) when its string holds an escape.
 * Bytes 0x80-0xff (Latin-1 letters, or narrowed UTF-16 units) are neither controls nor specials.
 */
const L_N = 0;
const L_OUT = 1;
const L_I = 2;
const L_END = 3;
const L_Q = 4;
const L_X = 5;
const L_P = 6;
const L_C = 7;
const L_COUNT = 8;
const L_BS = 9;
const L_PC = 10;
const L_VCTL = 11;
const L_VQUOTE = 12;
const L_VBS = 13;
const L_V = 14;
const F_IS_HEX = 1;
const F_IS_ESCAPE = 2;
const FAIL_RESULT = [...i32c(-1), RETURN];

/** Pushes two 16-lane masks for the bytes at i + offset: quotes, then specials. */
function halfBlock(offset: number): number[] {
  return [
    GET, L_I, ...vload(offset), TEE, L_V,
    GET, L_VQUOTE, ...I8X16_EQ, ...I8X16_BITMASK,
    GET, L_V, GET, L_VCTL, ...I8X16_LT_U, GET, L_V, GET, L_VBS, ...I8X16_EQ, ...V128_OR, ...I8X16_BITMASK,
  ];
}

/** Stores entry `slot` (offset 4 * slot from p) for the lowest quote in q, then drops it from q. */
function storeQuote(offset: number, orBs: boolean): number[] {
  return [
    GET, L_P, GET, L_I, GET, L_Q, I32_CTZ, I32_ADD, ...i32c(1), I32_SHL, ...(orBs ? [GET, L_BS, I32_OR] : []), I32_STORE, 0x02, ...uleb(offset),
    GET, L_Q, GET, L_Q, ...i32c(1), I32_SUB, I32_AND, SET, L_Q,
  ];
}

const indexBody: number[] = [
  ...wasmVec([
    [9, T_I32],
    [4, T_V128],
  ]),
  GET, L_N, SET, L_END,
  ...i32c(0x20), ...I8X16_SPLAT, SET, L_VCTL,
  ...i32c(QUOTE), ...I8X16_SPLAT, SET, L_VQUOTE,
  ...i32c(BACKSLASH), ...I8X16_SPLAT, SET, L_VBS,
  BLOCK, VOID,
  LOOP, VOID, // block of 32 bytes
  GET, L_I, GET, L_END, I32_GE_U, BR_IF, 1,
  // x, q = masks of bytes 16-31, then bytes 0-15 merged in.
  ...halfBlock(16), SET, L_X, ...i32c(16), I32_SHL, SET, L_Q,
  GET, L_X, ...i32c(16), I32_SHL, SET, L_X,
  ...halfBlock(0), GET, L_X, I32_OR, SET, L_X, GET, L_Q, I32_OR, SET, L_Q,
  // Past the end: keep the lanes below end - i.
  GET, L_END, GET, L_I, I32_SUB, TEE, L_P, ...i32c(32), I32_LT_U,
  IF, VOID,
  ...i32c(1), GET, L_P, I32_SHL, ...i32c(1), I32_SUB, TEE, L_P,
  GET, L_Q, I32_AND, SET, L_Q,
  GET, L_P, GET, L_X, I32_AND, SET, L_X,
  END,
  // A special lane: only quotes before it count for now.
  GET, L_X,
  IF, VOID,
  GET, L_Q, ...i32c(1), GET, L_X, I32_CTZ, I32_SHL, ...i32c(1), I32_SUB, I32_AND, SET, L_Q,
  END,
  GET, L_Q,
  IF, VOID,
  // The first four quotes are written unconditionally (extra entries land past the count and are
  // overwritten later): fewer unpredictable branches than one loop turn per quote.
  GET, L_OUT, GET, L_COUNT, ...i32c(2), I32_SHL, I32_ADD, SET, L_P,
  GET, L_Q, I32_POPCNT, SET, L_PC,
  ...storeQuote(0, true),
  ...storeQuote(4, false),
  ...storeQuote(8, false),
  ...storeQuote(12, false),
  ...i32c(0), SET, L_BS,
  GET, L_COUNT, GET, L_PC, I32_ADD, SET, L_COUNT,
  BLOCK, VOID,
  LOOP, VOID, // quotes beyond the fourth, if any
  GET, L_Q, I32_EQZ, BR_IF, 1,
  ...storeQuote(16, false),
  GET, L_P, ...i32c(4), I32_ADD, SET, L_P,
  BR, 0,
  END,
  END,
  END,
  GET, L_X, I32_EQZ,
  IF, VOID,
  GET, L_I, ...i32c(32), I32_ADD, SET, L_I,
  BR, 1, // next block
  END,
  // The first special byte.
  GET, L_I, GET, L_X, I32_CTZ, I32_ADD, TEE, L_P,
  ...load8(0), ...i32c(BACKSLASH), I32_NE,
  IF, VOID, ...FAIL_RESULT, END,
  ...i32c(1), SET, L_BS,
  GET, L_P, ...load8(1), TEE, L_C, ...i32c(LOWER_U), I32_EQ,
  IF, VOID,
  GET, L_P, ...load8(2), CALL, F_IS_HEX,
  GET, L_P, ...load8(3), CALL, F_IS_HEX, I32_AND,
  GET, L_P, ...load8(4), CALL, F_IS_HEX, I32_AND,
  GET, L_P, ...load8(5), CALL, F_IS_HEX, I32_AND,
  I32_EQZ, IF, VOID, ...FAIL_RESULT, END,
  GET, L_P, ...i32c(6), I32_ADD, SET, L_I,
  ELSE,
  GET, L_C, CALL, F_IS_ESCAPE, I32_EQZ, IF, VOID, ...FAIL_RESULT, END,
  GET, L_P, ...i32c(2), I32_ADD, SET, L_I,
  END,
  BR, 0, // next block, from just after the escape
  END,
  END,
  // A -1 after the last entry stops the reader without a bounds check.
  GET, L_OUT, GET, L_COUNT, ...i32c(2), I32_SHL, I32_ADD, ...i32c(-1), I32_STORE, 0x02, 0x00,
  GET, L_COUNT,
  END,
];

/*
 * func narrow(n: i32)      n UTF-16 units from byte 0 become n bytes from byte 0, in place
 *   (signed saturation: 0-0x7f stay, 0x80-0x7fff become 0x7f, 0x8000-0xffff become 0x80, none
 *   of which the scan or the walker takes for anything but a character inside a string).
 * The bytes written at i..i+15 were read already, from 2i..2i+31.
 */
const narrowBody: number[] = [
  ...wasmVec([[2, T_I32]]),
  BLOCK, VOID,
  LOOP, VOID,
  GET, 1, GET, 0, I32_GE_U, BR_IF, 1,
  GET, 1,
  GET, 1, ...i32c(1), I32_SHL, TEE, 2, ...vload(0), GET, 2, ...vload(16), ...I8X16_NARROW_I16X8_S,
  ...V128_STORE,
  GET, 1, ...i32c(16), I32_ADD, SET, 1,
  BR, 0,
  END,
  END,
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
  ...[QUOTE, BACKSLASH, SLASH, LOWER_B, LOWER_F, LOWER_N, LOWER_R, LOWER_T].flatMap((ch, j) => [
    GET, 0, ...i32c(ch), I32_EQ, ...(j === 0 ? [] : [I32_OR]),
  ]),
  END,
];

/** 16 pages = 1 MiB; texts too long for it (over ~200,000 characters) take the slow path. */
const MEMORY_PAGES = 16;

const wasmBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...wasmSection(1, wasmVec([
    [0x60, 2, T_I32, T_I32, 1, T_I32],
    [0x60, 1, T_I32, 1, T_I32],
    [0x60, 1, T_I32, 0],
  ])),
  ...wasmSection(3, wasmVec([[0], [1], [1], [2]])),
  ...wasmSection(5, wasmVec([[0x00, MEMORY_PAGES]])),
  ...wasmSection(7, wasmVec([
    [...wasmName("memory"), 0x02, 0],
    [...wasmName("index"), 0x00, 0],
    [...wasmName("narrow"), 0x00, 3],
  ])),
  ...wasmSection(10, wasmVec([indexBody, isHexBody, isEscapeBody, narrowBody].map((b) => [...uleb(b.length), ...b]))),
]);

interface Stage1 {
  index: (n: number, out: number) => number;
  narrow: (n: number) => void;
  buffer: ArrayBuffer;
}

/** Stage 1, or undefined where WebAssembly SIMD is missing (then every event takes the slow path). */
function loadStage1(): Stage1 | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), {});
    const memory = instance.exports["memory"];
    const index = instance.exports["index"];
    const narrow = instance.exports["narrow"];
    if (memory instanceof WebAssembly.Memory && typeof index === "function" && typeof narrow === "function") {
      return { index: index as (n: number, out: number) => number, narrow: narrow as (n: number) => void, buffer: memory.buffer };
    }
  } catch {
    // No WebAssembly, or no SIMD in it.
  }
  return undefined;
}

// Module-level constants (not `let`) so JSC can fold them into the hot loops.
const stage1 = loadStage1();
const indexQuotes = stage1?.index;
const narrowUnits = stage1?.narrow;
const memory = stage1?.buffer ?? new ArrayBuffer(0);
const memoryBytes = Buffer.from(memory);
/** The text, one byte a character, then the quote list. */
const units = new Uint8Array(memory);
const words = new Int32Array(memory);
/**
 * Longest text that fits: as UTF-16 (2n bytes and the narrowing's over-read of 32), and as bytes
 * (n, the scan's over-read, then n quote entries, the -1 and up to 3 scratch entries: 5n + 95).
 */
const maxUnits = stage1 === undefined ? -1 : Math.floor((memory.byteLength - 95) / 5);

/** Where stage 1 writes its quote list: past the text, its sentinel and the last block's over-read. */
function quoteListByte(n: number): number {
  return (n + 32 + 15) & ~15;
}

// Stage 2.

/** Nesting deeper than this below an object we pick from is left to JSON.parse (the bit stack is an int). */
const MAX_DEPTH = 31;

// What a key names. K_META only at the top level; K_DT, K_DOMAIN, K_ID only in meta.
const K_OTHER = 0;
const K_SERVER_NAME = 1;
const K_TIMESTAMP = 2;
const K_TYPE = 3;
const K_BOT = 4;
const K_META = 5;
const K_DT = 6;
const K_DOMAIN = 7;
const K_ID = 8;

/** Index in `words` of the next unread quote-list entry. */
let cursor = 0;
/** Value of the last number {@link scanNumber} read. */
let numberValue = 0;

// Stage 1 fails on any control character, so tab, LF and CR never reach stage 2.
function skipSpaces(i: number): number {
  while (units[i] === SPACE) i++;
  return i;
}

/**
 * Takes from the quote list the string whose opening quote is at `i`. Returns its closing entry
 * (index of the closing quote << 1, low bit set when the string holds an escape), or -1.
 */
function takeString(i: number): number {
  // The list holds pairs and ends with -1, so a match on the opening quote means a closing one follows.
  if (words[cursor] !== i << 1) return -1;
  const close = words[cursor + 1] ?? -1;
  cursor += 2;
  return close;
}

/** Expects a colon (spaces around it allowed) at `i`; returns the index of the value, or -1. */
function skipColon(i: number): number {
  if (units[i] !== COLON) {
    i = skipSpaces(i);
    if (units[i] !== COLON) return -1;
  }
  i++;
  return units[i] === SPACE ? skipSpaces(i) : i;
}

/** Whether the `codes.length` units at `s` are `codes`. */
function spells(s: number, codes: readonly number[]): boolean {
  for (let j = 0; j < codes.length; j++) {
    if (units[s + j] !== codes[j]) return false;
  }
  return true;
}

function codesOf(s: string): readonly number[] {
  return Array.from(s, (ch) => ch.charCodeAt(0));
}

const SERVER_NAME = codesOf("server_name");
const TIMESTAMP = codesOf("timestamp");
const TYPE = codesOf("type");
const META = codesOf("meta");
const BOT = codesOf("bot");
const DOMAIN = codesOf("domain");
const RUE = codesOf("rue");
const ALSE = codesOf("alse");
const ULL = codesOf("ull");

// Most keys are rejected on their length or first unit; only a likely match is compared in full.
function topKey(s: number, len: number): number {
  const c = units[s];
  if (len === 11) return c === LOWER_S && spells(s, SERVER_NAME) ? K_SERVER_NAME : K_OTHER;
  if (len === 9) return c === LOWER_T && units[s + 8] === LOWER_P && spells(s, TIMESTAMP) ? K_TIMESTAMP : K_OTHER;
  if (len === 4) {
    if (c === LOWER_T) return spells(s, TYPE) ? K_TYPE : K_OTHER;
    if (c === LOWER_M) return spells(s, META) ? K_META : K_OTHER;
    return K_OTHER;
  }
  return len === 3 && c === LOWER_B && spells(s, BOT) ? K_BOT : K_OTHER;
}

function metaKey(s: number, len: number): number {
  const c = units[s];
  if (len === 2) {
    const c1 = units[s + 1];
    if (c === LOWER_D && c1 === LOWER_T) return K_DT;
    if (c === LOWER_I && c1 === LOWER_D) return K_ID;
    return K_OTHER;
  }
  return len === 6 && c === LOWER_D && spells(s, DOMAIN) ? K_DOMAIN : K_OTHER;
}

/** Records that the field named by `key` holds a value of the wrong kind (for meta: not an object). */
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
  // Up to 16 digits every partial value but the last is below 2^53, so the result is one rounding
  // of the exact integer, as JSON.parse does it; longer numbers go through Number().
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
  if (c === LOWER_T) return spells(i + 1, RUE) ? i + 4 : -1;
  if (c === LOWER_F) return spells(i + 1, ALSE) ? i + 5 : -1;
  if (c === LOWER_N) return spells(i + 1, ULL) ? i + 4 : -1;
  return -1;
}

/**
 * Skips (validating) the value at `i`, whose first unit is `c`; returns the index after it, or -1.
 * Containers are walked with a bit stack (bit d set: the container at depth d + 1 is an array).
 */
function skipValue(d: string, i: number, c: number): number {
  let depth = 0;
  let arrays = 0;
  for (;;) {
    if (c === QUOTE) {
      const close = takeString(i);
      if (close < 0) return -1;
      i = (close >> 1) + 1;
    } else if (c === LBRACE || c === LBRACKET) {
      if (depth === MAX_DEPTH) return -1;
      const isArray = c === LBRACKET;
      arrays = isArray ? arrays | (1 << depth) : arrays & ~(1 << depth);
      depth++;
      i = skipSpaces(i + 1);
      c = units[i] ?? 0;
      if (c !== (isArray ? RBRACKET : RBRACE)) {
        if (!isArray) {
          const close = takeString(i);
          if (close < 0) return -1;
          i = skipColon((close >> 1) + 1);
          if (i < 0) return -1;
          c = units[i] ?? 0;
        }
        continue;
      }
      i++;
      depth--;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = scanNumber(d, i);
      if (i < 0) return -1;
    } else {
      i = scanLiteral(i, c);
      if (i < 0) return -1;
    }
    // After a value: close containers until a comma, or until the value we were asked for ends.
    for (;;) {
      if (depth === 0) return i;
      i = skipSpaces(i);
      c = units[i] ?? 0;
      const inArray = ((arrays >> (depth - 1)) & 1) !== 0;
      if (c === COMMA) {
        i = skipSpaces(i + 1);
        if (!inArray) {
          const close = takeString(i);
          if (close < 0) return -1;
          i = skipColon((close >> 1) + 1);
          if (i < 0) return -1;
        }
        c = units[i] ?? 0;
        break;
      }
      if (c !== (inArray ? RBRACKET : RBRACE)) return -1;
      i++;
      depth--;
    }
  }
}

/**
 * Walks the object at `i` (the top level, or when `top` is false the top-level meta), picking its
 * fields into `out`; returns the index after its `}`, or -1. Strings and scalars are handled
 * inline because this loop runs once per member, ~35 times an event.
 */
function walkObject(d: string, i: number, out: EventFields, top: boolean): number {
  let k = cursor;
  i++;
  if (units[i] === SPACE) i = skipSpaces(i);
  if (units[i] === RBRACE) return i + 1;
  for (;;) {
    // The key (see takeString).
    if (words[k] !== i << 1) return -1;
    const keyClose = words[k + 1] ?? -1;
    k += 2;
    // An escaped key might spell a field's name; leave it to JSON.parse.
    if ((keyClose & 1) !== 0) return -1;
    const keyEnd = keyClose >> 1;
    const key = top ? topKey(i + 1, keyEnd - i - 1) : metaKey(i + 1, keyEnd - i - 1);
    i = keyEnd + 1;
    if (units[i] !== COLON) {
      i = skipSpaces(i);
      if (units[i] !== COLON) return -1;
    }
    i++;
    let c = units[i] ?? 0;
    if (c === SPACE) {
      i = skipSpaces(i);
      c = units[i] ?? 0;
    }
    // The value.
    if (c === QUOTE) {
      if (words[k] !== i << 1) return -1;
      const close = words[k + 1] ?? -1;
      k += 2;
      if (key !== K_OTHER) {
        // A picked string with an escape is decoded by JSON.parse.
        if ((close & 1) !== 0) return -1;
        setString(out, key, d.slice(i + 1, close >> 1));
      }
      i = (close >> 1) + 1;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = scanNumber(d, i);
      if (i < 0) return -1;
      if (key === K_TIMESTAMP && Number.isFinite(numberValue)) out.timestamp = numberValue;
      else if (key !== K_OTHER) clearField(out, key);
    } else if (c === LOWER_T || c === LOWER_F || c === LOWER_N) {
      i = scanLiteral(i, c);
      if (i < 0) return -1;
      if (key === K_BOT && c !== LOWER_N) out.bot = c === LOWER_T;
      else if (key !== K_OTHER) clearField(out, key);
    } else {
      if (key !== K_OTHER) clearField(out, key);
      cursor = k;
      // The last meta wins wholly: clearField above emptied it.
      i = key === K_META && c === LBRACE ? walkObject(d, i, out, false) : skipValue(d, i, c);
      if (i < 0) return -1;
      k = cursor;
    }
    // A comma or the end.
    c = units[i] ?? 0;
    if (c === SPACE) {
      i = skipSpaces(i);
      c = units[i] ?? 0;
    }
    if (c === COMMA) {
      i++;
      if (units[i] === SPACE) i = skipSpaces(i);
      continue;
    }
    cursor = k;
    return c === RBRACE ? i + 1 : -1;
  }
}

/**
 * True when the text is surely a JSON object and `out` (reset by the caller) holds its fields.
 * `latin1`: every character of `d` is at most 0xff, so it is written one byte a character;
 * otherwise it is written as UTF-16 and narrowed to bytes in place.
 */
function walk(d: string, out: EventFields, latin1: boolean): boolean {
  const n = d.length;
  if (indexQuotes === undefined || narrowUnits === undefined || n > maxUnits) return false;
  if (latin1) {
    memoryBytes.write(d, 0, "latin1");
  } else {
    memoryBytes.write(d, 0, "utf16le");
    narrowUnits(n);
  }
  units[n] = 0; // a sentinel no scanner accepts
  const listByte = quoteListByte(n);
  const count = indexQuotes(n, listByte);
  // Every string has two unescaped quotes, and there are none outside strings.
  if (count < 0 || (count & 1) !== 0) return false;
  cursor = listByte >> 2;
  const i = skipSpaces(0);
  if (units[i] !== LBRACE) return false;
  const end = walkObject(d, i, out, true);
  return end >= 0 && skipSpaces(end) === n && cursor === (listByte >> 2) + count;
}

/**
 * Fast path: fills `out` (every field reset first) from the raw JSON text, with exactly the result of
 * {@link extractFieldsSlow}. Only the top level and `meta` are looked at closely; whenever the text
 * is unusual (escapes in a picked string or key, control characters, deep nesting, invalid JSON...)
 * it falls back to {@link extractFieldsSlow}.
 */
export function extractFields(data: string, out: EventFields): ExtractStatus {
  reset(out);
  if (walk(data, out, false)) return "ok";
  return extractFieldsSlow(data, out);
}

/**
 * {@link extractFields} for text whose every character is at most 0xff, such as the Latin-1 view
 * of UTF-8 bytes the SSE source hands over: the same answer as {@link extractFieldsSlow} of that
 * same text, found faster (one byte a character to copy and scan). The caller guarantees the
 * precondition; a character above 0xff would be read as its low byte, and the answer be wrong.
 */
export function extractFieldsLatin1(data: string, out: EventFields): ExtractStatus {
  reset(out);
  if (walk(data, out, true)) return "ok";
  return extractFieldsSlow(data, out);
}

/** Whether {@link extractFields} answers `data` without falling back (for the benchmark and tests). */
export function fastPathAccepts(data: string): boolean {
  return walk(data, createEventFields(), false);
}

/** Whether {@link extractFieldsLatin1} answers `data` (every character at most 0xff) without falling back. */
export function fastPathAcceptsLatin1(data: string): boolean {
  return walk(data, createEventFields(), true);
}
