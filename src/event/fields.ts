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
//  2. A second WebAssembly function walks the grammar between strings (punctuation, numbers,
//     literals, nesting), takes the string ends from that list, and records where the picked
//     fields are: string offsets, bot, and timestamp as a double (integers up to 16 characters)
//     or as offsets for Number(). It never decodes an escape. JS then only slices the picked
//     strings. (A JS walker here cost ~0.5 us an event, twice the wasm walk. A single wasm pass
//     finding each string's end with its own SIMD scan, without the list, measured slower.)
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
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LOWER_A = 97;
const LOWER_B = 98;
const LOWER_E = 101;
const LOWER_F = 102;
const LOWER_N = 110;
const LOWER_R = 114;
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

// Stage 2, also in WebAssembly: the grammar walk over the quote list.

/** `i64.const n` (signed LEB128 immediate). */
function i64c(n: bigint): number[] {
  const out = [0x42];
  let v = BigInt.asIntN(64, n);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** The first `s.length` (at most 8) bytes of `s`, as a little-endian integer. */
function leBytes(s: string): bigint {
  let v = 0n;
  for (let j = s.length - 1; j >= 0; j--) v = (v << 8n) | BigInt(s.charCodeAt(j));
  return v;
}

const I32_LOAD = 0x28;
const I64_LOAD = 0x29;
const I32_LOAD16_U = 0x2f;
const F64_STORE = 0x39;
const I32_LE_S = 0x4c;
const I32_LE_U = 0x4d;
const I64_EQ = 0x51;
const I32_XOR = 0x73;
const I64_ADD = 0x7c;
const I64_MUL = 0x7e;
const I64_AND = 0x83;
const F64_NEG = 0x9a;
const I64_EXTEND_I32_U = 0xad;
const F64_CONVERT_I64_S = 0xb9;
const SELECT = 0x1b;
const T_I64 = 0x7e;
const ld32 = (offset: number): number[] => [I32_LOAD, 0x00, ...uleb(offset)];
const ld16 = (offset: number): number[] => [I32_LOAD16_U, 0x00, ...uleb(offset)];
const ld64 = (offset: number): number[] => [I64_LOAD, 0x00, ...uleb(offset)];
const st32 = (offset: number): number[] => [I32_STORE, 0x00, ...uleb(offset)];
const stF64 = (offset: number): number[] => [F64_STORE, 0x00, ...uleb(offset)];

/*
 * What a key names, which is also where its answer goes: a string field's start and end at
 * out + 8 * key; bot (-1, 0 or 1) at out + 48; timestamp's kind at out + 56 (-1: none, 0: the
 * double at out + 72, 1: the number text from out + 64 to out + 68, for Number()).
 * K_META only at the top level; K_DT, K_DOMAIN, K_ID only in meta.
 */
const K_OTHER = 0;
const K_SERVER_NAME = 1;
const K_TYPE = 2;
const K_DT = 3;
const K_DOMAIN = 4;
const K_ID = 5;
const K_BOT = 6;
const K_TIMESTAMP = 7;
const K_META = 8;
const OUT_BOT = 48;
const OUT_TS_KIND = 56;
const OUT_TS_START = 64;
const OUT_TS_END = 68;
const OUT_TS_VALUE = 72;
/** Bytes of the answer record, at the end of memory. */
const OUT_BYTES = 128;

/** Nesting deeper than this is left to JSON.parse (the bit stack is an i32). */
const MAX_DEPTH = 31;

// walk's parameters and locals.
const W_N = 0;
const W_LIST = 1;
const W_COUNT = 2;
const W_OUT = 3;
const W_I = 4;
const W_C = 5;
const W_K = 6;
const W_KEY = 7;
const W_DEPTH = 8;
const W_ARRAYS = 9;
const W_IN_META = 10;
const W_CLOSE = 11;
const W_START = 12;
const W_NEG = 13;
const W_T = 14;
const W_SIMPLE = 15;
const W_V = 16;

const FAIL = [...i32c(0), RETURN];
const inc = (local: number, by: number): number[] => [GET, local, ...i32c(by), I32_ADD, SET, local];
/** i = index of the first non-space at or after i (byte n is 0, so it stops there at the latest). */
const skipSp: number[] = [BLOCK, VOID, LOOP, VOID, GET, W_I, ...load8(0), ...i32c(SPACE), I32_NE, BR_IF, 1, ...inc(W_I, 1), BR, 0, END, END];
/** Pushes whether the byte at i + offset is a digit. */
const digitAt = (offset: number): number[] => [GET, W_I, ...load8(offset), ...i32c(ZERO), I32_SUB, ...i32c(10), I32_LT_U];
/** The field named by key (not K_OTHER) holds a value of the wrong kind (for meta: not an object). */
const clearKey: number[] = [
  GET, W_KEY, ...i32c(K_META), I32_EQ,
  IF, VOID,
  GET, W_OUT, ...i32c(-1), ...st32(8 * K_DT),
  GET, W_OUT, ...i32c(-1), ...st32(8 * K_DOMAIN),
  GET, W_OUT, ...i32c(-1), ...st32(8 * K_ID),
  ELSE,
  GET, W_OUT, GET, W_KEY, ...i32c(3), I32_SHL, I32_ADD, ...i32c(-1), ...st32(0),
  END,
];
/** Takes from the quote list the string opening at i (or fails): close = its closing entry. */
const takeString: number[] = [
  GET, W_K, ...ld32(0), GET, W_I, ...i32c(1), I32_SHL, I32_NE, IF, VOID, ...FAIL, END,
  GET, W_K, ...ld32(4), SET, W_CLOSE,
  ...inc(W_K, 8),
];
const eq64 = (offset: number, s: string): number[] => [GET, W_I, ...ld64(offset), ...i64c(leBytes(s)), I64_EQ];
const setKey = (k: number): number[] => [IF, VOID, ...i32c(k), SET, W_KEY, END];
/** key from the name from i + 1, t bytes long (t is then clobbered). */
const topKeyCode: number[] = [
  GET, W_T, ...i32c(11), I32_EQ,
  IF, VOID,
  ...eq64(1, "server_n"), ...eq64(4, "ver_name"), I32_AND, ...setKey(K_SERVER_NAME),
  ELSE,
  GET, W_T, ...i32c(9), I32_EQ,
  IF, VOID,
  ...eq64(1, "timestam"), ...eq64(2, "imestamp"), I32_AND, ...setKey(K_TIMESTAMP),
  ELSE,
  GET, W_T, ...i32c(4), I32_EQ,
  IF, VOID,
  GET, W_I, ...ld32(1), SET, W_T,
  GET, W_T, ...i32c(Number(leBytes("type"))), I32_EQ, ...setKey(K_TYPE),
  GET, W_T, ...i32c(Number(leBytes("meta"))), I32_EQ, ...setKey(K_META),
  ELSE,
  GET, W_T, ...i32c(3), I32_EQ,
  GET, W_I, ...ld32(1), ...i32c(0xffffff), I32_AND, ...i32c(Number(leBytes("bot"))), I32_EQ, I32_AND, ...setKey(K_BOT),
  END,
  END,
  END,
];
const metaKeyCode: number[] = [
  GET, W_T, ...i32c(2), I32_EQ,
  IF, VOID,
  GET, W_I, ...ld16(1), SET, W_T,
  GET, W_T, ...i32c(Number(leBytes("dt"))), I32_EQ, ...setKey(K_DT),
  GET, W_T, ...i32c(Number(leBytes("id"))), I32_EQ, ...setKey(K_ID),
  ELSE,
  GET, W_T, ...i32c(6), I32_EQ,
  GET, W_I, ...ld64(1), ...i64c(0xffffffffffffn), I64_AND, ...i64c(leBytes("domain")), I64_EQ, I32_AND, ...setKey(K_DOMAIN),
  END,
];
/**
 * At the key's opening quote i: sets key (names are looked at at the top level and in meta, where
 * an escaped one fails), then i and c to the value after the colon.
 */
const readKey: number[] = [
  ...takeString,
  ...i32c(K_OTHER), SET, W_KEY,
  GET, W_DEPTH, ...i32c(1), I32_EQ, GET, W_DEPTH, ...i32c(2), I32_EQ, GET, W_IN_META, I32_AND, I32_OR,
  IF, VOID,
  // An escaped key might spell a field's name; leave it to JSON.parse.
  GET, W_CLOSE, ...i32c(1), I32_AND, IF, VOID, ...FAIL, END,
  GET, W_CLOSE, ...i32c(1), I32_SHR_U, GET, W_I, I32_SUB, ...i32c(1), I32_SUB, SET, W_T,
  GET, W_DEPTH, ...i32c(1), I32_EQ,
  IF, VOID, ...topKeyCode, ELSE, ...metaKeyCode, END,
  END,
  GET, W_CLOSE, ...i32c(1), I32_SHR_U, ...i32c(1), I32_ADD, SET, W_I,
  GET, W_I, ...load8(0), ...i32c(COLON), I32_NE,
  IF, VOID,
  ...skipSp,
  GET, W_I, ...load8(0), ...i32c(COLON), I32_NE, IF, VOID, ...FAIL, END,
  END,
  ...inc(W_I, 1),
  ...skipSp,
  GET, W_I, ...load8(0), SET, W_C,
];

/*
 * func walk(n, list, count, out) -> i32: 1 when the text (n bytes from 0, byte n is 0, its quote
 * list of count entries at list) is surely one JSON object, with the answer at out; else 0.
 * Containers are walked with a bit stack (bit d set: the container at depth d + 1 is an array).
 *   block $done; loop $value (value at i, first byte c, named key); block $after ... end;
 *   loop $close (after a value: a comma, or closers) ... end; end; end; the end checks.
 */
const walkBody: number[] = [
  ...wasmVec([
    [12, T_I32],
    [1, T_I64],
  ]),
  ...[K_SERVER_NAME, K_TYPE, K_DT, K_DOMAIN, K_ID, K_BOT, K_TIMESTAMP].flatMap((k) => [GET, W_OUT, ...i32c(-1), ...st32(8 * k)]),
  GET, W_LIST, SET, W_K,
  ...skipSp,
  GET, W_I, ...load8(0), TEE, W_C, ...i32c(LBRACE), I32_NE, IF, VOID, ...FAIL, END,
  BLOCK, VOID, // $done
  LOOP, VOID, // $value
  BLOCK, VOID, // $after
  // A string.
  GET, W_C, ...i32c(QUOTE), I32_EQ,
  IF, VOID,
  ...takeString,
  GET, W_KEY,
  IF, VOID,
  // A picked string with an escape is decoded by JSON.parse.
  GET, W_CLOSE, ...i32c(1), I32_AND, IF, VOID, ...FAIL, END,
  GET, W_KEY, ...i32c(K_ID), I32_LE_U,
  IF, VOID,
  GET, W_OUT, GET, W_KEY, ...i32c(3), I32_SHL, I32_ADD, TEE, W_T, GET, W_I, ...i32c(1), I32_ADD, ...st32(0),
  GET, W_T, GET, W_CLOSE, ...i32c(1), I32_SHR_U, ...st32(4),
  ELSE, ...clearKey, END,
  END,
  GET, W_CLOSE, ...i32c(1), I32_SHR_U, ...i32c(1), I32_ADD, SET, W_I,
  BR, 1, // $after
  END,
  // An object or an array.
  GET, W_C, ...i32c(LBRACE), I32_EQ, GET, W_C, ...i32c(LBRACKET), I32_EQ, I32_OR,
  IF, VOID,
  GET, W_KEY, IF, VOID, ...clearKey, END,
  GET, W_DEPTH, ...i32c(MAX_DEPTH), I32_EQ, IF, VOID, ...FAIL, END,
  GET, W_ARRAYS, ...i32c(1), GET, W_DEPTH, I32_SHL, ...i32c(-1), I32_XOR, I32_AND,
  GET, W_C, ...i32c(LBRACKET), I32_EQ, GET, W_DEPTH, I32_SHL, I32_OR, SET, W_ARRAYS,
  // Every container at depth 2 says whether it is the top-level meta object (the last meta wins
  // wholly: clearKey above emptied it).
  GET, W_DEPTH, ...i32c(1), I32_EQ,
  IF, VOID,
  GET, W_KEY, ...i32c(K_META), I32_EQ, GET, W_C, ...i32c(LBRACE), I32_EQ, I32_AND, SET, W_IN_META,
  END,
  ...inc(W_DEPTH, 1),
  ...inc(W_I, 1),
  ...skipSp,
  // Empty: '{' + 2 is '}', '[' + 2 is ']'.
  GET, W_I, ...load8(0), TEE, W_T, GET, W_C, ...i32c(2), I32_ADD, I32_EQ,
  IF, VOID,
  ...inc(W_I, 1),
  ...inc(W_DEPTH, -1),
  BR, 2, // $after
  END,
  GET, W_C, ...i32c(LBRACKET), I32_EQ,
  IF, VOID,
  ...i32c(K_OTHER), SET, W_KEY,
  GET, W_T, SET, W_C,
  BR, 3, // $value
  END,
  ...readKey,
  BR, 2, // $value
  END,
  // A number.
  GET, W_C, ...i32c(MINUS), I32_EQ, GET, W_C, ...i32c(ZERO), I32_SUB, ...i32c(10), I32_LT_U, I32_OR,
  IF, VOID,
  GET, W_I, SET, W_START,
  GET, W_C, ...i32c(MINUS), I32_EQ, TEE, W_NEG,
  IF, VOID, GET, W_I, ...i32c(1), I32_ADD, TEE, W_I, ...load8(0), SET, W_C, END,
  ...i64c(0n), SET, W_V,
  GET, W_C, ...i32c(ZERO), I32_EQ,
  IF, VOID,
  GET, W_I, ...i32c(1), I32_ADD, TEE, W_I, ...load8(0), SET, W_C,
  ELSE,
  GET, W_C, ...i32c(ONE), I32_SUB, ...i32c(9), I32_LT_U, I32_EQZ, IF, VOID, ...FAIL, END,
  LOOP, VOID,
  GET, W_V, ...i64c(10n), I64_MUL, GET, W_C, ...i32c(ZERO), I32_SUB, I64_EXTEND_I32_U, I64_ADD, SET, W_V,
  GET, W_I, ...i32c(1), I32_ADD, TEE, W_I, ...load8(0), TEE, W_C, ...i32c(ZERO), I32_SUB, ...i32c(10), I32_LT_U, BR_IF, 0,
  END,
  END,
  // Up to 16 characters the integer is exact in the i64 and converts with one rounding, as
  // JSON.parse does it; anything longer or with a fraction or exponent goes through Number().
  GET, W_I, GET, W_START, I32_SUB, ...i32c(16), I32_LE_S, SET, W_SIMPLE,
  GET, W_C, ...i32c(DOT), I32_EQ,
  IF, VOID,
  ...i32c(0), SET, W_SIMPLE,
  ...inc(W_I, 1),
  ...digitAt(0), I32_EQZ, IF, VOID, ...FAIL, END,
  LOOP, VOID, ...inc(W_I, 1), ...digitAt(0), BR_IF, 0, END,
  GET, W_I, ...load8(0), SET, W_C,
  END,
  GET, W_C, ...i32c(0x20), I32_OR, ...i32c(LOWER_E), I32_EQ,
  IF, VOID,
  ...i32c(0), SET, W_SIMPLE,
  GET, W_I, ...i32c(1), I32_ADD, TEE, W_I, ...load8(0), TEE, W_C, ...i32c(PLUS), I32_EQ, GET, W_C, ...i32c(MINUS), I32_EQ, I32_OR,
  IF, VOID, ...inc(W_I, 1), END,
  ...digitAt(0), I32_EQZ, IF, VOID, ...FAIL, END,
  LOOP, VOID, ...inc(W_I, 1), ...digitAt(0), BR_IF, 0, END,
  END,
  GET, W_KEY,
  IF, VOID,
  GET, W_KEY, ...i32c(K_TIMESTAMP), I32_EQ,
  IF, VOID,
  GET, W_SIMPLE,
  IF, VOID,
  GET, W_OUT, ...i32c(0), ...st32(OUT_TS_KIND),
  GET, W_OUT,
  GET, W_V, F64_CONVERT_I64_S, F64_NEG, GET, W_V, F64_CONVERT_I64_S, GET, W_NEG, SELECT,
  ...stF64(OUT_TS_VALUE),
  ELSE,
  GET, W_OUT, ...i32c(1), ...st32(OUT_TS_KIND),
  GET, W_OUT, GET, W_START, ...st32(OUT_TS_START),
  GET, W_OUT, GET, W_I, ...st32(OUT_TS_END),
  END,
  ELSE, ...clearKey, END,
  END,
  BR, 1, // $after
  END,
  // Literals.
  GET, W_C, ...i32c(LOWER_T), I32_EQ,
  IF, VOID,
  GET, W_I, ...ld32(0), ...i32c(Number(leBytes("true"))), I32_NE, IF, VOID, ...FAIL, END,
  ...inc(W_I, 4),
  GET, W_KEY, ...i32c(K_BOT), I32_EQ,
  IF, VOID, GET, W_OUT, ...i32c(1), ...st32(OUT_BOT), ELSE, GET, W_KEY, IF, VOID, ...clearKey, END, END,
  BR, 1, // $after
  END,
  GET, W_C, ...i32c(LOWER_F), I32_EQ,
  IF, VOID,
  GET, W_I, ...ld32(1), ...i32c(Number(leBytes("alse"))), I32_NE, IF, VOID, ...FAIL, END,
  ...inc(W_I, 5),
  GET, W_KEY, ...i32c(K_BOT), I32_EQ,
  IF, VOID, GET, W_OUT, ...i32c(0), ...st32(OUT_BOT), ELSE, GET, W_KEY, IF, VOID, ...clearKey, END, END,
  BR, 1, // $after
  END,
  GET, W_C, ...i32c(LOWER_N), I32_EQ,
  IF, VOID,
  GET, W_I, ...ld32(0), ...i32c(Number(leBytes("null"))), I32_NE, IF, VOID, ...FAIL, END,
  ...inc(W_I, 4),
  GET, W_KEY, IF, VOID, ...clearKey, END,
  BR, 1, // $after
  END,
  ...FAIL,
  END, // $after
  LOOP, VOID, // $close
  GET, W_DEPTH, I32_EQZ, BR_IF, 2, // $done
  ...skipSp,
  GET, W_I, ...load8(0), SET, W_C,
  // t: the innermost open container is an array.
  GET, W_ARRAYS, GET, W_DEPTH, ...i32c(1), I32_SUB, I32_SHR_U, ...i32c(1), I32_AND, SET, W_T,
  GET, W_C, ...i32c(COMMA), I32_EQ,
  IF, VOID,
  ...inc(W_I, 1),
  ...skipSp,
  GET, W_T,
  IF, VOID,
  ...i32c(K_OTHER), SET, W_KEY,
  GET, W_I, ...load8(0), SET, W_C,
  BR, 3, // $value
  END,
  ...readKey,
  BR, 2, // $value
  END,
  GET, W_C, ...i32c(RBRACKET), ...i32c(RBRACE), GET, W_T, SELECT, I32_NE, IF, VOID, ...FAIL, END,
  ...inc(W_I, 1),
  ...inc(W_DEPTH, -1),
  BR, 0, // $close
  END, // $close
  ...FAIL,
  END, // $value
  END, // $done
  // Only spaces after the object, and every string taken.
  ...skipSp,
  GET, W_I, GET, W_N, I32_NE, IF, VOID, ...FAIL, END,
  GET, W_K, GET, W_LIST, GET, W_COUNT, ...i32c(2), I32_SHL, I32_ADD, I32_NE, IF, VOID, ...FAIL, END,
  ...i32c(1),
  END,
];

/** func run(n, list, out) -> i32: index, then (with an even count: pairs) walk. */
const runBody: number[] = [
  ...wasmVec([[1, T_I32]]),
  GET, 0, GET, 1, CALL, 0, TEE, 3,
  // Every string has two unescaped quotes, and there are none outside strings.
  ...i32c(0x80000001 | 0), I32_AND, IF, VOID, ...FAIL, END,
  GET, 0, GET, 1, GET, 3, GET, 2, CALL, 4,
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
    [0x60, 4, T_I32, T_I32, T_I32, T_I32, 1, T_I32],
    [0x60, 3, T_I32, T_I32, T_I32, 1, T_I32],
  ])),
  ...wasmSection(3, wasmVec([[0], [1], [1], [2], [3], [4]])),
  ...wasmSection(5, wasmVec([[0x00, MEMORY_PAGES]])),
  ...wasmSection(7, wasmVec([
    [...wasmName("memory"), 0x02, 0],
    [...wasmName("run"), 0x00, 5],
    [...wasmName("narrow"), 0x00, 3],
  ])),
  ...wasmSection(10, wasmVec([indexBody, isHexBody, isEscapeBody, narrowBody, walkBody, runBody].map((b) => [...uleb(b.length), ...b]))),
]);

interface Wasm {
  run: (n: number, list: number, out: number) => number;
  narrow: (n: number) => void;
  buffer: ArrayBuffer;
}

/** The wasm stages, or undefined where WebAssembly SIMD is missing (then every event takes the slow path). */
function loadWasm(): Wasm | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), {});
    const memory = instance.exports["memory"];
    const run = instance.exports["run"];
    const narrow = instance.exports["narrow"];
    if (memory instanceof WebAssembly.Memory && typeof run === "function" && typeof narrow === "function") {
      return { run: run as (n: number, list: number, out: number) => number, narrow: narrow as (n: number) => void, buffer: memory.buffer };
    }
  } catch {
    // No WebAssembly, or no SIMD in it.
  }
  return undefined;
}

// Module-level constants (not `let`) so JSC can fold them into the hot loops.
const wasm = loadWasm();
const runWasm = wasm?.run;
const narrowUnits = wasm?.narrow;
const memory = wasm?.buffer ?? new ArrayBuffer(0);
const memoryBytes = Buffer.from(memory);
/** The text, one byte a character, then the quote list; the answer record at the end. */
const units = new Uint8Array(memory);
const words = new Int32Array(memory);
const doubles = new Float64Array(memory);
const outByte = memory.byteLength - OUT_BYTES;
const outWord = outByte >> 2;
/**
 * Longest text that fits before the answer record: as UTF-16 (2n bytes and the narrowing's
 * over-read of 32), and as bytes (n, the scan's over-read, then n quote entries, the -1 and up to
 * 3 scratch entries: 5n + 95).
 */
const maxUnits = wasm === undefined ? -1 : Math.floor((outByte - 95) / 5);

/** Where stage 1 writes its quote list: past the text, its sentinel and the last block's over-read. */
function quoteListByte(n: number): number {
  return (n + 32 + 15) & ~15;
}

/**
 * True when the text is surely a JSON object and `out` (reset by the caller) holds its fields.
 * `latin1`: every character of `d` is at most 0xff, so it is written one byte a character;
 * otherwise it is written as UTF-16 and narrowed to bytes in place.
 */
function walk(d: string, out: EventFields, latin1: boolean): boolean {
  const n = d.length;
  if (runWasm === undefined || narrowUnits === undefined || n > maxUnits) return false;
  if (latin1) {
    memoryBytes.write(d, 0, "latin1");
  } else {
    memoryBytes.write(d, 0, "utf16le");
    narrowUnits(n);
  }
  units[n] = 0; // a sentinel no scanner accepts
  if (runWasm(n, quoteListByte(n), outByte) === 0) return false;
  const o = outWord;
  let s = words[o + 2 * K_SERVER_NAME] ?? -1;
  if (s >= 0) out.serverName = d.slice(s, words[o + 2 * K_SERVER_NAME + 1]);
  s = words[o + 2 * K_TYPE] ?? -1;
  if (s >= 0) out.type = d.slice(s, words[o + 2 * K_TYPE + 1]);
  s = words[o + 2 * K_DT] ?? -1;
  if (s >= 0) out.dt = d.slice(s, words[o + 2 * K_DT + 1]);
  s = words[o + 2 * K_DOMAIN] ?? -1;
  if (s >= 0) out.domain = d.slice(s, words[o + 2 * K_DOMAIN + 1]);
  s = words[o + 2 * K_ID] ?? -1;
  if (s >= 0) out.metaId = d.slice(s, words[o + 2 * K_ID + 1]);
  s = words[o + (OUT_BOT >> 2)] ?? -1;
  if (s >= 0) out.bot = s === 1;
  s = words[o + (OUT_TS_KIND >> 2)] ?? -1;
  if (s === 0) {
    out.timestamp = doubles[(outByte + OUT_TS_VALUE) >> 3];
  } else if (s === 1) {
    // A JSON number is also a Number() string, and the two round alike.
    const v = Number(d.slice(words[o + (OUT_TS_START >> 2)], words[o + (OUT_TS_END >> 2)]));
    if (Number.isFinite(v)) out.timestamp = v;
  }
  return true;
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
