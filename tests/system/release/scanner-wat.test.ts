// The generator of scanner.wat's regions (scripts/scanner-wat.ts, scanner-regions.ts) on other view field tables than
// the real one (whose output scanner.test.ts compares with the committed files): the scanner it
// makes names every view field, of any name length and kind, in its slot and only when asked, and
// a table it cannot serve is refused with the reason.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { SCANNER_WAT, assembleScanner } from "../../../scripts/build-scanner.ts";
import { GENERATED_FILES, regenerate } from "../../../scripts/scanner-regions.ts";
import { FIRST_VIEW_SLOT, SCANNER_VIEW_FIELDS, type ScannerViewField } from "../../../src/event/scanner-fields.ts";
import { instantiateScanner } from "../../../src/event/scanner.ts";

setDefaultTimeout(60_000);

const WAT_FILE = GENERATED_FILES.find((file) => file.url.href === SCANNER_WAT.href);
if (WAT_FILE === undefined) throw new Error("scanner.wat has no generated regions");
const WAT: NonNullable<typeof WAT_FILE> = WAT_FILE;

/** scanner.wat with its regions generated from `fields`. */
const fillRegions = (text: string, fields: readonly ScannerViewField[]) => regenerate(text, WAT, fields);

/** Names of lengths 1, 7 and 13 (compared as a masked word, an i64, two overlapping i64s), and numbers of 6 and 3 bytes (3: beside bot). */
const OTHER_FIELDS: readonly ScannerViewField[] = [
  { json: "a", key: "a", kind: "text" },
  { json: "comment", key: "comment", kind: "text" },
  { json: "parsedcomment", key: "parsedcomment", kind: "text" },
  { json: "length", key: "length", kind: "number" },
  { json: "rev", key: "rev", kind: "number" },
];

const EVENT = '{"server_name":"s","a":"x","comment":"he\\"y","parsedcomment":"<b>","length":-42,"rev":7,"bot":true,"meta":{"a":"no"}}';

/** The answer record's (start, second word) pairs for the key codes 1 to 13, and bot, after one run with `want`. */
async function scan(fields: readonly ScannerViewField[], want: number): Promise<{ ok: number; slots: [number, number][]; bot: number }> {
  const wat = fillRegions(await Bun.file(SCANNER_WAT).text(), fields);
  const scanner = instantiateScanner(new Uint8Array(await assembleScanner(wat)));
  const bytes = new Uint8Array(scanner.memory);
  const n = Buffer.from(scanner.memory).write(EVENT, 0, "latin1");
  bytes[n] = 0;
  const out = scanner.memory.byteLength - 128;
  const ok = scanner.run(n, (n + 47) & ~15, out, want);
  const words = new Int32Array(scanner.memory, out, 32);
  const slots = Array.from({ length: 14 }, (_, k): [number, number] => [words[2 * k] ?? NaN, words[2 * k + 1] ?? NaN]);
  return { ok, slots: slots.slice(1), bot: words[12] ?? NaN };
}

/** Where `value` (the text of a string's content or a number) starts in EVENT, after `key`. */
function startOf(key: string, value: string): number {
  return EVENT.indexOf(`"${key}":`) + key.length + 3 + (value.startsWith('"') ? 1 : 0);
}

describe("scanner.wat generated from another view field table", () => {
  test("names each view field asked for, in its slot: strings with their closing quote's entry, numbers with their end", async () => {
    const { ok, slots, bot } = await scan(OTHER_FIELDS, 31);
    expect(ok).toBe(1);
    expect(bot).toBe(1);
    const string = (key: string, value: string): [number, number] => {
      const start = startOf(key, '"');
      return [start, ((start + value.length) << 1) | (value.includes("\\") ? 1 : 0)];
    };
    const number = (key: string, value: string): [number, number] => [startOf(key, value), startOf(key, value) + value.length];
    const view = slots.slice(FIRST_VIEW_SLOT - 1);
    expect(view).toEqual([string("a", "x"), string("comment", 'he\\"y'), string("parsedcomment", "<b>"), number("length", "-42"), number("rev", "7")]);
  });

  test("names only the view fields asked for", async () => {
    for (let index = 0; index < OTHER_FIELDS.length; index++) {
      const { ok, slots } = await scan(OTHER_FIELDS, 1 << index);
      expect(ok).toBe(1);
      const named = slots.slice(FIRST_VIEW_SLOT - 1).map(([start]) => start >= 0);
      expect(named).toEqual(OTHER_FIELDS.map((_, i) => i === index));
    }
  });

  test("a table the scanner cannot serve is refused, saying why", async () => {
    const text = await Bun.file(SCANNER_WAT).text();
    const sixth: ScannerViewField = { json: "comment", key: "comment", kind: "text" };
    expect(() => fillRegions(text, [...SCANNER_VIEW_FIELDS.slice(0, -1), sixth, ...SCANNER_VIEW_FIELDS.slice(-1)])).toThrow("past the timestamp's double");
    expect(() => fillRegions(text, [...SCANNER_VIEW_FIELDS.slice(1), SCANNER_VIEW_FIELDS[0]])).toThrow("text fields before the number fields");
    expect(() => fillRegions(text, [{ json: "bot", key: "bot2", kind: "text" }])).toThrow("twice");
    expect(() => fillRegions(text, [{ json: "a_name_of_17_byte", key: "x", kind: "text" }])).toThrow("1 to 16 plain ASCII");
  });
});
