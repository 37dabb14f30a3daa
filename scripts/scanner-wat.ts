/**
 * The parts of scanner.wat that follow from the view field table (src/event/scanner-fields.ts),
 * generated (scanner-regions.ts fills them in): the top-level key matches, the view slots'
 * resets, and where the walk records a view string or number. The generated code is what was
 * written by hand before: the same instructions in the same order, so the same scanner.wasm.
 */
import { FIRST_VIEW_SLOT, type ScannerViewField } from "../src/event/scanner-fields.ts";

/** A top-level key the walk names: its key code, and the `$want` bit that gates it (0: always named). */
interface TopLevelKey {
  readonly name: string;
  readonly code: number;
  readonly bit: number;
}

/** Byte offset of the timestamp's double in the answer record: the view slots must end before it. */
const TIMESTAMP_DOUBLE = 112;

/**
 * The keys named at depth 1. The ones always read keep the key codes of scanner.wat ("Key
 * codes"); the length groups come in the order of their first key here (bot's last: a single
 * test, after the others).
 */
function topLevelKeys(fields: readonly ScannerViewField[]): TopLevelKey[] {
  const view = fields.map((field, index) => ({ name: field.json, code: FIRST_VIEW_SLOT + index, bit: 1 << index }));
  const always = (name: string, code: number): TopLevelKey => ({ name, code, bit: 0 });
  return [always("server_name", 1), always("timestamp", 7), always("type", 2), always("meta", 8), ...view, always("bot", 6)];
}

/** The key code's name in comments: K_ and the key in capitals. */
function label(key: TopLevelKey): string {
  return `K_${key.name.toUpperCase()}`;
}

/** The little-endian number of `name`'s bytes from `from`, `count` of them, in hex. */
function word(name: string, from: number, count: number): string {
  let value = 0n;
  for (let j = count - 1; j >= 0; j--) value = (value << 8n) | BigInt(name.charCodeAt(from + j));
  return `0x${value.toString(16)}`;
}

/** A mask of the low `bytes` bytes, in hex. */
function mask(bytes: number): string {
  return `0x${((1n << BigInt(8 * bytes)) - 1n).toString(16)}`;
}

const NAME_AT = "(local.get $i)";

/**
 * The test that the key's name (from $i + 1) is `name`, as lines: whole words, an overlapping
 * second 8-byte load past 8 bytes, a mask below 4 or 8 (the bytes after the name are still in
 * memory: the text's padding). `cached`: the 4-byte word is in $word already.
 */
function matchName(name: string, cached: boolean): string[] {
  const L = name.length;
  const quoted = `;; "${name}"`;
  if (L === 4 && cached) return [`(i32.eq (local.get $word) (i32.const ${word(name, 0, 4)}))  ${quoted}`];
  if (L <= 4) {
    const load = `(i32.load offset=1 ${NAME_AT})`;
    const value = L === 4 ? load : `(i32.and ${load} (i32.const ${mask(L)}))`;
    return ["(i32.eq", `  ${value}`, `  (i32.const ${word(name, 0, L)}))  ${quoted}`];
  }
  if (L < 8) return ["(i64.eq", `  (i64.and (i64.load offset=1 ${NAME_AT}) (i64.const ${mask(L)}))`, `  (i64.const ${word(name, 0, L)}))  ${quoted}`];
  if (L === 8) return [`(i64.eq (i64.load offset=1 ${NAME_AT}) (i64.const ${word(name, 0, 8)}))  ${quoted}`];
  return [
    "(i32.and",
    `  (i64.eq (i64.load offset=1 ${NAME_AT}) (i64.const ${word(name, 0, 8)}))  ;; "${name.slice(0, 8)}"`,
    `  (i64.eq (i64.load offset=${L - 7} ${NAME_AT}) (i64.const ${word(name, L - 8, 8)})))  ;; "${name.slice(L - 8)}"`,
  ];
}

/** `line` with `count` closing parentheses added, before its trailing comment if it has one. */
function close(line: string, count: number): string {
  const at = line.indexOf("  ;;");
  return at < 0 ? line + ")".repeat(count) : line.slice(0, at) + ")".repeat(count) + line.slice(at);
}

/** Indents every line by `by` spaces. */
function indent(lines: readonly string[], by: number): string[] {
  return lines.map((line) => " ".repeat(by) + line);
}

/** `(if TEST (then BODY))` as lines: TEST (one expression) and BODY indented under it. */
function ifThen(test: readonly string[], body: readonly string[]): string[] {
  const [first = "", ...rest] = test;
  const then = body.length === 1 ? [`(then ${body[0] ?? ""}`] : ["(then", ...indent(body, 2)];
  return [`(if ${first}`, ...indent(rest, 4), ...indent(then.map((line, i) => (i === then.length - 1 ? close(line, 2) : line)), 2)];
}

/** Sets $key when the name matches, behind the `$want` test for a view field. */
function nameKey(key: TopLevelKey, cached: boolean): string[] {
  const set = ifThen(matchName(key.name, cached), [`(local.set $key (i32.const ${key.code}))  ;; ${label(key)}`]);
  return key.bit === 0 ? set : ifThen([`(i32.and (local.get $want) (i32.const ${key.bit}))`], set);
}

/** The keys grouped by length, in order of first appearance; in each, those always named first. */
function byLength(keys: readonly TopLevelKey[]): TopLevelKey[][] {
  const groups = new Map<number, TopLevelKey[]>();
  for (const key of keys) groups.set(key.name.length, [...(groups.get(key.name.length) ?? []), key]);
  return [...groups.values()].map((group) => [...group.filter((k) => k.bit === 0), ...group.filter((k) => k.bit !== 0)]);
}

/** The region `top-level-keys`: block $named, one length test a group, each leaving by br $named. */
function topLevelKeyRegion(fields: readonly ScannerViewField[]): string[] {
  const groups = byLength(topLevelKeys(fields));
  const body = groups.flatMap((group, g) => {
    const L = group[0]?.name.length ?? 0;
    const lenTest = `(i32.eq (local.get $len) (i32.const ${L}))`;
    const [only] = group;
    // The last group, when it is one key always named, is a single test.
    if (g === groups.length - 1 && group.length === 1 && only !== undefined && only.bit === 0) {
      const test = ["(i32.and", `  ${lenTest}`, ...indent(matchName(only.name, false), 2)];
      return ifThen([...test.slice(0, -1), close(test.at(-1) ?? "", 1)], [`(local.set $key (i32.const ${only.code}))  ;; ${label(only)}`]);
    }
    const cached = L === 4 && group.length > 1;
    const load = cached ? [`(local.set $word (i32.load offset=1 ${NAME_AT}))`] : [];
    return ifThen([lenTest], [...load, ...group.flatMap((key) => nameKey(key, cached)), "(br $named)"]);
  });
  return ["(block $named", ...indent(body.map((line, i) => (i === body.length - 1 ? close(line, 1) : line)), 2)];
}

/** The region `view-resets`: every view slot starts absent (-1). */
function viewResetRegion(fields: readonly ScannerViewField[]): string[] {
  return fields.map((field, index) => `(i32.store offset=${8 * (FIRST_VIEW_SLOT + index)} (local.get $out) (i32.const -1))  ;; ${field.json}`);
}

/** The region `view-strings`: the test that $key is a view string's code (one run of codes, text fields first). */
function viewStringRegion(fields: readonly ScannerViewField[]): string[] {
  const texts = fields.filter((field) => field.kind === "text");
  const names = texts.map((field) => field.json).join(", ");
  const last = FIRST_VIEW_SLOT + texts.length - 1;
  return [`(if (i32.lt_u (i32.sub (local.get $key) (i32.const ${FIRST_VIEW_SLOT})) (i32.const ${texts.length}))  ;; ${FIRST_VIEW_SLOT}-${last}: ${names}`];
}

/** The region `view-numbers`: a view number's code records the number's start and end; any other code clears its field. */
function viewNumberRegion(fields: readonly ScannerViewField[]): string[] {
  const numbers = fields.flatMap((field, index) => (field.kind === "number" ? [{ field, code: FIRST_VIEW_SLOT + index }] : []));
  let lines = ["(call $clear_field (local.get $out) (local.get $key))"];
  for (const { field, code } of numbers.reverse()) {
    const store = [`(i32.store offset=${8 * code} (local.get $out) (local.get $start))`, `(i32.store offset=${8 * code + 4} (local.get $out) (local.get $i))`];
    const otherwise = lines.length === 1 ? [close(`(else ${lines[0] ?? ""}`, 1)] : ["(else", ...indent(lines.slice(0, -1), 2), close(`  ${lines.at(-1) ?? ""}`, 1)];
    lines = [
      `(if (i32.eq (local.get $key) (i32.const ${code}))  ;; K_${field.json.toUpperCase()}`,
      "  (then",
      ...indent(store.slice(0, -1), 4),
      close(`    ${store.at(-1) ?? ""}`, 1),
      ...indent(otherwise.slice(0, -1), 2),
      close(`  ${otherwise.at(-1) ?? ""}`, 1),
    ];
  }
  return lines;
}

/** Throws when the table cannot be generated: names the scanner cannot compare, text fields not first, or no room in the answer record. */
function checkTable(fields: readonly ScannerViewField[]): void {
  const names = topLevelKeys(fields).map((key) => key.name);
  for (const name of names) {
    if (!/^[\x20-\x7e]{1,16}$/.test(name) || name.includes('"') || name.includes("\\")) throw new Error(`view field '${name}': a key must be 1 to 16 plain ASCII characters`);
  }
  if (new Set(names).size !== names.length) throw new Error("scanner-fields.ts names a top-level key twice");
  for (const { key } of fields) if (!/^[A-Za-z_$][\w$]*$/.test(key)) throw new Error(`view field key '${key}' is no identifier`);
  const firstNumber = fields.findIndex((field) => field.kind === "number");
  if (firstNumber >= 0 && fields.slice(firstNumber).some((field) => field.kind === "text")) throw new Error("scanner-fields.ts: list the text fields before the number fields");
  const end = 8 * (FIRST_VIEW_SLOT + fields.length);
  if (end > TIMESTAMP_DOUBLE) {
    throw new Error(`scanner-fields.ts: ${fields.length} view fields need the answer record up to +${end}, past the timestamp's double at +${TIMESTAMP_DOUBLE}: move that double (scanner.wat, scanner.ts) first`);
  }
}

/** The generated regions of scanner.wat, by name, for `fields`; throws when the table cannot be generated. */
export function watRegions(fields: readonly ScannerViewField[]): Map<string, string[]> {
  checkTable(fields);
  return new Map([
    ["top-level-keys", topLevelKeyRegion(fields)],
    ["view-resets", viewResetRegion(fields)],
    ["view-strings", viewStringRegion(fields)],
    ["view-numbers", viewNumberRegion(fields)],
  ]);
}
