import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  VIEW_FIELD,
  createEventFields,
  decodeTextField,
  extractFieldsLatin1,
  extractFieldsSlow,
  fastPathAcceptsLatin1,
  survivesUtf8,
  type ExtractStatus,
  type TextField,
} from "../../../src/event/fields.ts";
import { loadRealEvents } from "../../support/corpus.ts";
import { createRandom } from "../../support/random.ts";

// Tens of thousands of documents per test: about a second each on a quiet machine, many on a
// busy one. The limit only catches a hang.
setDefaultTimeout(120_000);

// extractFieldsLatin1 reads what the SSE source hands over: the UTF-8 bytes of an event, one
// character per byte. Every input below is such a Latin-1 view (or Latin-1 text as it is).

/** The Latin-1 view of `text`'s UTF-8 bytes (every char at most 0xff). */
function latin1(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** `text` with every char above 0xff replaced by the Latin-1 view of its UTF-8 bytes. */
function latin1Unchanged(text: string): string {
  return text.replace(/[^\u0000-\u00ff]+/gu, (wide) => latin1(wide));
}

const utf8Lines = loadRealEvents();
const realLines = utf8Lines.map(latin1);
// The same 2026 sample as written by Python's json.dumps, with ", " and ": " separators.
const sampleLines = new TextDecoder()
  .decode(Bun.gunzipSync(await Bun.file(new URL("../../fixtures/wikistream-lakehouse-sample.jsonl.gz", import.meta.url)).bytes()))
  .split("\n")
  .filter((line) => line.length > 0)
  .map(latin1);

/** Every view field asked for. */
const ALL_VIEW_FIELDS = Object.values(VIEW_FIELD).reduce((mask, bit) => mask | bit, 0);

/**
 * Runs extractFieldsLatin1 and extractFieldsSlow on the same text, whose every char must be at
 * most 0xff, without and with every view field asked for; the test fails where they disagree in
 * any field or the status.
 */
function expectSame(data: string, label?: string): ExtractStatus {
  // The input rides along so a failure shows which one broke.
  const input = label ?? data.slice(0, 300);
  if (/[^\u0000-\u00ff]/.test(data)) throw new Error(`not Latin-1: ${input}`);
  let status: ExtractStatus = "ok";
  for (const want of [0, ALL_VIEW_FIELDS]) {
    const fast = createEventFields();
    const slow = createEventFields();
    // Leftovers from an earlier call must not leak into the answer.
    Object.assign(fast, { serverName: "stale", timestamp: 1, type: "stale", bot: true, dt: "stale", domain: "stale", metaId: "stale", wiki: "stale", title: "stale", user: "stale", logType: "stale", namespace: 1 });
    status = extractFieldsLatin1(data, fast, want);
    const slowStatus = extractFieldsSlow(data, slow, want);
    expect({ input, want, status, ...fast }).toEqual({ input, want, status: slowStatus, ...slow });
  }
  return status;
}

describe("the data files", () => {
  test("are all there (committed in tests/fixtures)", () => {
    expect(realLines.length).toBe(10_966);
    expect(sampleLines.length).toBe(50);
  });
});

describe("differential over every real event (Latin-1 views)", () => {
  test("recentchange-real.ndjson", () => {
    let ok = 0;
    for (const line of realLines) if (expectSame(line) === "ok") ok++;
    expect(ok).toBe(realLines.length);
  });

  test("wikistream-lakehouse sample (json.dumps separators)", () => {
    for (const line of sampleLines) expect(expectSame(line)).toBe("ok");
  });

  // Otherwise every comparison above could pass by always falling back.
  test("the fast path answers every real event itself", () => {
    const refused = [...realLines, ...sampleLines].filter((line) => !fastPathAcceptsLatin1(line));
    expect(refused).toEqual([]);
  });

  test("known values of the first real event", () => {
    const out = createEventFields();
    expect(extractFieldsLatin1(realLines[0] ?? "", out)).toBe("ok");
    expect(out).toEqual({
      serverName: "www.wikidata.org",
      timestamp: 1520439377,
      type: "edit",
      bot: false,
      dt: "2018-03-07T16:16:17+00:00",
      domain: "www.wikidata.org",
      metaId: "dd8c5690-2222-11e8-a2ad-1418776134f3",
      wiki: undefined,
      title: undefined,
      user: undefined,
      logType: undefined,
      namespace: undefined,
    });
  });
});

/** The two shortest real events (by UTF-16 length, as they were picked before), as Latin-1 views. */
const shortReal = [...utf8Lines].sort((a, b) => a.length - b.length).slice(0, 2).map(latin1);

/** A compact event with every picked field, to build the hand-written cases from. */
const BASE = '{"meta":{"dt":"2021-10-08T12:00:00Z","domain":"en.wikipedia.org","id":"abc"},"type":"edit","server_name":"en.wikipedia.org","timestamp":1633694400,"bot":false}';

/** Alternating object/array nesting around the limits, with right and wrong closers. */
function mixedNesting(): [string, string][] {
  const out: [string, string][] = [];
  for (const depth of [29, 30, 31, 32, 33, 40, 64]) {
    let open = "";
    let close = "";
    for (let d = 0; d < depth; d++) {
      const isArray = d % 3 === 1;
      open += isArray ? "[" : '{"k":';
      close = (isArray ? "]" : "}") + close;
    }
    const good = `{"a":${open}1${close},"server_name":"s"}`;
    out.push([`mixed nesting ${depth}`, good]);
    for (const at of [0, Math.floor(depth / 2), depth - 1]) {
      const j = good.indexOf("1") + 1 + at;
      const swapped = good[j] === "]" ? "}" : "]";
      out.push([`mixed nesting ${depth}, wrong closer ${at}`, good.slice(0, j) + swapped + good.slice(j + 1)]);
    }
  }
  return out;
}

const cases: [string, string][] = [
  ["base", BASE],
  ["empty object", "{}"],
  ["empty object with spaces", " { } "],
  ["escaped quote at the end of a value", '{"server_name":"a\\"","comment":"x"}'],
  ["escaped backslash before the closing quote", '{"server_name":"a\\\\","comment":"x"}'],
  ["three backslashes then a quote", '{"comment":"a\\\\\\"b","server_name":"s"}'],
  ["four backslashes then a quote", '{"comment":"a\\\\\\\\","server_name":"s"}'],
  ["escaped quote in a skipped value", '{"comment":"say \\"hi\\"","server_name":"s"}'],
  ["\\u escape in server_name", '{"server_name":"en.wiki\\u0070edia.org"}'],
  ["\\u escape in a key", '{"server\\u005fname":"x"}'],
  ["escaped key in meta", '{"meta":{"\\u0064t":"d"}}'],
  ["\\/ in a picked string", '{"type":"a\\/b"}'],
  ["surrogate pair escape", '{"server_name":"\\ud83d\\ude00"}'],
  ["lone surrogate escape", '{"server_name":"\\ud800"}'],
  ["raw lone surrogate", '{"server_name":"\ud800x"}'],
  ["raw astral character", '{"server_name":"😀.org","type":"édit"}'],
  ["non-ASCII everywhere", '{"tïtle":"Ünïcödé ‎ 中文","server_name":"zh.wikipedia.org","comment":"\u2028\u2029"}'],
  ["\\u0000 escape is fine", '{"comment":"a\\u0000b","server_name":"s"}'],
  ["uppercase hex escape", '{"comment":"\\u00E9","server_name":"s"}'],
  ["server_name in log_params", '{"log_params":{"server_name":"nested"},"type":"log"}'],
  ["server_name in meta", '{"meta":{"server_name":"nested","dt":"d"}}'],
  ["timestamp in revision", '{"revision":{"timestamp":5},"type":"edit"}'],
  ["dt at the top level", '{"dt":"top","meta":{"domain":"x"}}'],
  ["meta nested in meta", '{"meta":{"meta":{"dt":"deep"},"id":"i"}}'],
  ["duplicate server_name", '{"server_name":"a","server_name":"b"}'],
  ["duplicate server_name, last not a string", '{"server_name":"a","server_name":1}'],
  ["duplicate meta, last wins wholly", '{"meta":{"dt":"a","domain":"x"},"meta":{"id":"b"}}'],
  ["duplicate meta, last not an object", '{"meta":{"dt":"a"},"meta":"x"}'],
  ["meta is an array", '{"meta":[{"dt":"a"}]}'],
  ["meta is null", '{"meta":null}'],
  ["duplicate dt inside meta", '{"meta":{"dt":"a","dt":"b"}}'],
  ["duplicate bot", '{"bot":true,"bot":null}'],
  ["duplicate timestamp", '{"timestamp":1,"timestamp":"2"}'],
  ["missing fields", '{"id":1,"title":"t"}'],
  ["numbers where strings belong", '{"server_name":42,"type":1.5,"meta":{"dt":0,"domain":-1,"id":1e3}}'],
  ["strings where numbers belong", '{"timestamp":"1633694400","bot":"false"}'],
  ["objects where scalars belong", '{"server_name":{},"timestamp":[],"bot":{"a":1},"type":[1]}'],
  ["bot true", '{"bot":true}'],
  ["timestamp 1.5e9", '{"timestamp":1.5e9}'],
  ["timestamp -0", '{"timestamp":-0}'],
  ["timestamp 0", '{"timestamp":0}'],
  ["timestamp 1E+2", '{"timestamp":1E+2}'],
  ["timestamp 1e-2", '{"timestamp":1e-2}'],
  ["timestamp 0.5", '{"timestamp":0.5}'],
  ["timestamp 15 digits", '{"timestamp":999999999999999}'],
  ["timestamp 16 digits", '{"timestamp":9999999999999999}'],
  ["timestamp 20 digits", '{"timestamp":12345678901234567890}'],
  ["timestamp -15 digits", '{"timestamp":-999999999999999}'],
  ["timestamp -16 digits (17 characters)", '{"timestamp":-9999999999999999}'],
  ["timestamp 2^53 + 1 (rounds)", '{"timestamp":9007199254740993}'],
  ["timestamp -2^53 - 1 (rounds)", '{"timestamp":-9007199254740993}'],
  ["timestamp 1e400 (Infinity)", '{"timestamp":1e400}'],
  ["timestamp -1e400", '{"timestamp":-1e400}'],
  ["timestamp tiny", '{"timestamp":1e-400}'],
  ["timestamp many decimals", '{"timestamp":1633731790.123456789012345678}'],
  ["key order reversed", '{"bot":true,"timestamp":2,"server_name":"s","type":"t","meta":{"id":"i","domain":"d","dt":"x"}}'],
  ["spaces between every token", ' { "server_name" : "s" , "meta" : { "dt" : "d" } , "timestamp" : 3 , "x" : [ 1 , { } , [ ] ] } '],
  ["tabs and newlines between tokens", '{\t"server_name":\n"s",\r\n"timestamp"\t:\t3\n}\n'],
  ["pretty printed", JSON.stringify(JSON.parse(BASE), null, 2)],
  ["json.dumps separators", '{"a": [1, 2], "server_name": "s", "meta": {"dt": "d", "id": "i"}, "bot": true}'],
  ["all literal kinds", '{"a":true,"b":false,"c":null,"d":[true,false,null],"bot":false}'],
  ["nested arrays and objects", '{"a":[[[{"b":[{"c":{}}]}]]],"server_name":"s"}'],
  ["empty key", '{"":1,"server_name":"s"}'],
  ["key that is a prefix of a target", '{"server_nam":"x","server_namex":"y","timestam":1,"typ":"t","met":{}}'],
  ["__proto__ key", '{"__proto__":{"server_name":"p"},"type":"t"}'],
  ["deep nesting 5000", `{"a":${"[".repeat(5000)}${"]".repeat(5000)},"server_name":"s"}`],
  ["deep objects 5000", `{"a":${'{"b":'.repeat(5000)}1${"}".repeat(5000)},"server_name":"s"}`],
  ["nesting 30 (below the limit)", `{"a":${"[".repeat(30)}${"]".repeat(30)},"server_name":"s"}`],
  ["nesting 31", `{"a":${"[".repeat(31)}${"]".repeat(31)},"server_name":"s"}`],
  ["nesting 32", `{"a":${"[".repeat(32)}${"]".repeat(32)},"server_name":"s"}`],
  ...mixedNesting(),
  ["long string value", `{"comment":"${"x".repeat(100_000)}","server_name":"s"}`],
  ["text too long for the fast path", `{"comment":"${"y".repeat(300_000)}","server_name":"s"}`],
  // Invalid JSON of many kinds.
  ["empty text", ""],
  ["only spaces", "   "],
  ["trailing comma in object", '{"server_name":"s",}'],
  ["trailing comma in array", '{"a":[1,],"server_name":"s"}'],
  ["trailing garbage", '{"a":1}x'],
  ["two objects", '{"a":1}{"b":2}'],
  ["leading BOM", `\ufeff${BASE}`],
  ["trailing NUL", `${BASE}\u0000`],
  ["raw NUL in a string", '{"comment":"a\u0000b","server_name":"s"}'],
  ["raw control char in a string", '{"comment":"a\u001fb","server_name":"s"}'],
  ["raw tab in a string", '{"comment":"a\tb","server_name":"s"}'],
  ["raw newline in a picked string", '{"server_name":"a\nb"}'],
  ["raw DEL in a string is fine", '{"comment":"a\u007fb","server_name":"s"}'],
  ["vertical tab between tokens", '{\u000b"a":1}'],
  ["form feed between tokens", '{"a":1\u000c}'],
  ["non-breaking space between tokens", '{\u00a0"a":1}'],
  ["bad escape \\x", '{"comment":"\\x41","server_name":"s"}'],
  ["bad escape \\u12", '{"comment":"\\u12","server_name":"s"}'],
  ["bad escape \\u12G4", '{"comment":"\\u12G4","server_name":"s"}'],
  ["bad escape \\U0041", '{"comment":"\\U0041","server_name":"s"}'],
  ["backslash at the end of the text", '{"comment":"\\'],
  ["backslash outside a string", '{\\"a":1}'],
  ["single quotes", "{'server_name':'s'}"],
  ["unquoted key", '{server_name:"s"}'],
  ["missing colon", '{"server_name" "s"}'],
  ["missing comma", '{"a":1 "server_name":"s"}'],
  ["double comma", '{"a":1,,"server_name":"s"}'],
  ["leading zero", '{"timestamp":01}'],
  ["leading zeros", '{"a":007,"server_name":"s"}'],
  ["dot without digits", '{"timestamp":1.}'],
  ["dot first", '{"timestamp":.5}'],
  ["exponent without digits", '{"timestamp":1e}'],
  ["exponent sign only", '{"timestamp":1e+}'],
  ["plus sign", '{"timestamp":+1}'],
  ["minus alone", '{"timestamp":-}'],
  ["minus minus", '{"timestamp":--1}'],
  ["hex number", '{"timestamp":0x10}'],
  ["NaN", '{"timestamp":NaN}'],
  ["Infinity", '{"timestamp":Infinity}'],
  ["capitalised literal", '{"bot":True}'],
  ["truncated literal", '{"bot":tru}'],
  ["literal with garbage", '{"bot":truex}'],
  ["unclosed object", '{"a":1'],
  ["unclosed array", '{"a":[1}'],
  ["mismatched brackets", '{"a":[1}]'],
  ["extra closing brace", '{"a":1}}'],
  ["unclosed string", '{"server_name":"s'],
  ["comment", '{"a":1 /* c */}'],
  ["array", "[]"],
  ["array of an object", '[{"server_name":"s"}]'],
  ["null", "null"],
  ["string", '"str"'],
  ["number", "42"],
  ["true", "true"],
];

/**
 * Raw Latin-1 characters, and chars whose UTF-16 low byte is a quote, a backslash, a brace, a
 * space or a control (built against a former UTF-16 path): as Latin-1 views, multi-byte UTF-8
 * sequences inside and outside strings; read as Latin-1 themselves (the first four), C1 controls,
 * NEL and 0xff.
 */
const wideCases: [string, string][] = [
  ["Latin-1 letters and C1 controls in strings", '{"comment":"\u00e9\u0085\u0080\u009f\u00ff","server_name":"\u00e9.org","meta":{"dt":"\u00a0"}}'],
  ["Latin-1 letters in keys", '{"\u00e9":1,"server_nam\u00e9":"x","server_name":"s"}'],
  ["NEL between tokens", '{\u0085"a":1}'],
  ["0xff between tokens", '{"a":1\u00ff}'],
  ["units with a special low byte in strings", '{"server_name":"\u0122\u015c\u0100\u017b\u0120","type":"\u0109"}'],
  ["units with a special low byte as escapes", '{"comment":"\\\u0175\u0030\u0030\u0030\u0030","server_name":"s"}'],
  ["unit with a quote's low byte between tokens", '{"a":1,\u0122"b":2}'],
  ["unit with a brace's low byte after the object", '{"a":1}\u017d'],
  ["unit with a space's low byte between tokens", '{\u0120"a":1}'],
];

/** Whether every char of `text` is at most 0xff. */
function isLatin1(text: string): boolean {
  return /^[\u0000-\u00ff]*$/.test(text);
}

describe("text that survives a UTF-8 round trip (decodeTextField), whichever path read it", () => {
  /** The real text of `field` from the event's bytes, read by the fast path and by JSON.parse: both must agree. */
  function decodeBoth(bytes: Uint8Array, field: TextField): string | null {
    const data = Buffer.from(bytes).toString("latin1");
    const fast = createEventFields();
    const slow = createEventFields();
    expect(extractFieldsLatin1(data, fast)).toBe("ok");
    expect(extractFieldsSlow(data, slow)).toBe("ok");
    const rawFast = fast[field];
    const rawSlow = slow[field];
    expect(rawFast).toBe(rawSlow as string);
    const a = decodeTextField(field, rawFast ?? "", data, createEventFields());
    const b = decodeTextField(field, rawSlow ?? "", data, createEventFields());
    expect(a).toBe(b);
    return a;
  }
  const utf8 = (text: string) => new TextEncoder().encode(text);
  /** An event whose `field` (JSON text, quotes included) sits between raw bytes of a comment that are not UTF-8. */
  const event = (server: string, extra = "") => utf8(`{"server_name":${server},"type":${server},"timestamp":1,"comment":"c${extra}","meta":{"dt":${server},"domain":${server},"id":${server}}}`);
  const fields: TextField[] = ["serverName", "type", "dt", "domain", "metaId"];

  test.each(fields)("%s: lone surrogates (escaped) and bytes that are not UTF-8 are refused, each on its own", (field) => {
    for (const escaped of ['"x\\ud800.org"', '"x\\udc00.org"', '"\\udbff\\udbff"', '"a\\ude00\\ud83d"', '"x\\ufffd.org"']) {
      expect(decodeBoth(event(escaped), field)).toBeNull();
    }
    for (const bad of [[0xff, 0xfe], [0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const bytes = Buffer.concat([utf8('{"server_name":"x'), Uint8Array.from(bad), utf8('.org","type":"x'), Uint8Array.from(bad), utf8('.org","meta":{"dt":"x'), Uint8Array.from(bad), utf8('","domain":"x'), Uint8Array.from(bad), utf8('","id":"x'), Uint8Array.from(bad), utf8('"}}')]);
      expect(decodeBoth(bytes, field)).toBeNull();
    }
  });

  test.each(fields)("%s: ASCII, escapes of real characters, pairs and raw UTF-8 come back as their text, whatever the comment holds", (field) => {
    expect(decodeBoth(event('"en.wikipedia.org"'), field)).toBe("en.wikipedia.org");
    expect(decodeBoth(event('"\\ud83d\\ude00.org"'), field)).toBe("\u{1f600}.org");
    expect(decodeBoth(event('"b\\u00fccher"'), field)).toBe("bücher");
    expect(decodeBoth(event('"bücher.東京"'), field)).toBe("bücher.東京");
    expect(decodeBoth(event('"bücher"', "\\ud800"), field)).toBe("bücher");
    const rawBad = Buffer.from(event('"bücher"', "@"));
    rawBad[rawBad.indexOf(0x40)] = 0xff;
    expect(decodeBoth(rawBad, field)).toBe("bücher");
  });

  test("survivesUtf8 is exactly: the text encodes to UTF-8 and decodes back unchanged, and holds no U+FFFD", () => {
    const random = createRandom(16);
    for (let i = 0; i < 20_000; i++) {
      const text = String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 4) }, () => [0x41, 0xe9, 0x6771, 0xd800, 0xdc00, 0xdbff, 0xdfff, 0xfffd][Math.floor(random() * 8)] ?? 0));
      const roundTrip = new TextDecoder().decode(new TextEncoder().encode(text)) === text;
      expect({ text, ok: survivesUtf8(text) }).toEqual({ text, ok: roundTrip && !text.includes("\ufffd") });
    }
  });
});

describe("adversarial corpus", () => {
  test.each([...cases, ...wideCases])("%s (Latin-1 view)", (_name, data) => {
    expectSame(latin1(data));
  });

  test.each([...cases, ...wideCases].filter(([, data]) => isLatin1(data)))("%s (read as Latin-1 itself)", (_name, data) => {
    expectSame(data);
  });

  test("states known answers for a few cases", () => {
    const out = createEventFields();
    expect(extractFieldsLatin1('{"server\\u005fname":"x"}', out)).toBe("ok");
    expect(out.serverName).toBe("x");
    expect(extractFieldsLatin1('{"server_name":"a\\\\","comment":"x"}', out)).toBe("ok");
    expect(out.serverName).toBe("a\\");
    expect(extractFieldsLatin1('{"meta":{"dt":"a"},"meta":{"id":"b"}}', out)).toBe("ok");
    expect(out).toMatchObject({ dt: undefined, metaId: "b" });
    expect(extractFieldsLatin1('{"timestamp":-0}', out)).toBe("ok");
    expect(Object.is(out.timestamp, -0)).toBe(true);
    expect(extractFieldsLatin1('{"timestamp":1e400}', out)).toBe("ok");
    expect(out.timestamp).toBeUndefined();
    expect(extractFieldsLatin1('{"a":1}x', out)).toBe("invalid-json");
    expect(extractFieldsLatin1("[]", out)).toBe("not-object");
    expect(extractFieldsLatin1('{"comment":"a\u0000b"}', out)).toBe("invalid-json");
  });

  // The wasm walker matches names with masked 2-, 4- and 8-byte loads: every near miss must miss.
  test("near misses of every picked name, at the top level, in meta and deeper", () => {
    const names = ["server_name", "timestamp", "type", "bot", "meta", "dt", "domain", "id", "title", "user", "wiki", "log_type", "namespace"];
    const variants = new Set<string>();
    for (const name of names) {
      variants.add(name);
      for (let j = 0; j <= name.length; j++) {
        variants.add(name.slice(0, j) + name.slice(j + 1));
        for (const ch of ["x", "_", "\"", " ", "\u00e9", name[j] ?? "s"]) {
          variants.add(name.slice(0, j) + ch + name.slice(j + 1));
          variants.add(name.slice(0, j) + ch + name.slice(j));
        }
      }
    }
    const values = ['"v"', "7", "true", "false", "null", '{"dt":"d","id":"i","domain":"m"}', "[]"];
    for (const key of variants) {
      for (const value of values) {
        const member = `"${key}":${value}`;
        for (const doc of [`{${member}}`, `{"meta":{${member}}}`, `{"a":{${member}},"meta":{"x":{${member}}}}`, `{"type":"t",${member},"bot":true}`]) {
          // é read as one byte (0xe9), and as its two UTF-8 bytes.
          expectSame(doc);
          expectSame(latin1(doc));
        }
      }
    }
    // Otherwise the comparisons above could pass by always falling back.
    expect(fastPathAcceptsLatin1('{"server_nam":"v","meta":{"dtt":"v"}}')).toBe(true);
  });

  test("every prefix of two real events", () => {
    for (const line of realLines.slice(0, 2)) {
      for (let end = 0; end <= line.length; end++) expectSame(line.slice(0, end), `prefix ${end} of ${line.length}`);
    }
  });

  test("every one-character replacement in two short real events", () => {
    const replacements = ['"', "\\", "{", "}", "[", "]", ",", ":", "0", " ", "\u0000", "\u0080", "\u00a0", "\u00ff"];
    for (const line of shortReal) {
      for (let at = 0; at < line.length; at++) {
        for (const ch of replacements) {
          expectSame(line.slice(0, at) + ch + line.slice(at + 1), `${JSON.stringify(ch)} at ${at} of a ${line.length}-char event`);
        }
      }
    }
  });

  test("every one-character deletion and insertion in a short real event", () => {
    const line = shortReal[0] ?? "";
    for (let at = 0; at <= line.length; at++) {
      expectSame(line.slice(0, at) + line.slice(at + 1), `deletion at ${at}`);
      expectSame(`${line.slice(0, at)}"${line.slice(at)}`, `quote inserted at ${at}`);
      expectSame(`${line.slice(0, at)}\\${line.slice(at)}`, `backslash inserted at ${at}`);
    }
  });
});

// Random documents. Objects are member lists, so keys can repeat; numbers are kept as their text.
type Doc =
  | { kind: "object"; members: [string, Doc][] }
  | { kind: "array"; items: Doc[] }
  | { kind: "string"; value: string }
  | { kind: "number"; text: string }
  | { kind: "literal"; text: "true" | "false" | "null" };

const KEYS = ["server_name", "timestamp", "type", "bot", "meta", "dt", "domain", "id", "log_params", "revision", "comment", "title", "user", "wiki", "namespace", "log_type", "", "server_nam", "Server_name", "titl", "é", "😀"];
const CHARS = ["a", "b", "z", " ", '"', "\\", "/", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "€", "\u2028", "😀", "\ud800", "\udc00", "-", "."];

const PLAIN_CHARS = ["a", "b", "z", ".", "-", "_", " ", "1", "é", "€", "😀"];

/** Half the time plain text (the fast path's usual diet), else anything, escapes and controls too. */
function randomString(rand: () => number): string {
  const chars = rand() < 0.5 ? PLAIN_CHARS : CHARS;
  let s = "";
  const length = Math.floor(rand() * rand() * 20);
  for (let j = 0; j < length; j++) s += chars[Math.floor(rand() * chars.length)] ?? "a";
  return s;
}

function randomNumber(rand: () => number): string {
  const pick = rand();
  if (pick < 0.1) return ["0", "-0", "1e400", "-1e400", "1E+2", "0.5", "1e-400", "12345678901234567890"][Math.floor(rand() * 8)] ?? "0";
  if (pick < 0.5) return String(Math.floor(rand() * 2e9));
  let text = rand() < 0.3 ? "-" : "";
  text += rand() < 0.2 ? "0" : String(1 + Math.floor(rand() * 1e6));
  if (rand() < 0.4) text += `.${Math.floor(rand() * 1e6)}`;
  if (rand() < 0.3) text += `${rand() < 0.5 ? "e" : "E"}${["", "+", "-"][Math.floor(rand() * 3)] ?? ""}${Math.floor(rand() * 30)}`;
  return text;
}

function randomDoc(rand: () => number, depth: number): Doc {
  const pick = rand();
  if (depth < 4 && pick < 0.3) {
    const members: [string, Doc][] = [];
    const count = Math.floor(rand() * 7);
    for (let j = 0; j < count; j++) {
      const key = rand() < 0.8 ? (KEYS[Math.floor(rand() * KEYS.length)] ?? "k") : randomString(rand);
      members.push([key, randomDoc(rand, depth + 1)]);
    }
    return { kind: "object", members };
  }
  if (depth < 4 && pick < 0.4) {
    const items: Doc[] = [];
    const count = Math.floor(rand() * 4);
    for (let j = 0; j < count; j++) items.push(randomDoc(rand, depth + 1));
    return { kind: "array", items };
  }
  if (pick < 0.7) return { kind: "string", value: randomString(rand) };
  if (pick < 0.9) return { kind: "number", text: randomNumber(rand) };
  return { kind: "literal", text: (["true", "false", "null"] as const)[Math.floor(rand() * 3)] ?? "null" };
}

/** A top-level object that names the picked fields often. */
function randomEvent(rand: () => number): Doc {
  const members: [string, Doc][] = [];
  const count = 1 + Math.floor(rand() * 10);
  for (let j = 0; j < count; j++) {
    const key = KEYS[Math.floor(rand() * KEYS.length)] ?? "k";
    let value: Doc;
    if (key === "meta" && rand() < 0.8) value = randomEvent(rand);
    else if (["server_name", "type", "dt", "title", "user", "wiki", "log_type"].includes(key) && rand() < 0.7) value = { kind: "string", value: randomString(rand) };
    else if (key === "namespace" && rand() < 0.7) value = { kind: "number", text: randomNumber(rand) };
    else value = randomDoc(rand, 1);
    members.push([key, value]);
  }
  return { kind: "object", members };
}

interface Style {
  rand: () => number;
  /** Chance of whitespace at each gap between tokens. */
  spaces: number;
  /** Chance of writing a string character as a \u escape. */
  escapes: number;
  /** Whether whitespace may be tab, LF and CR too, not only space. */
  anyWhitespace?: boolean;
}

function gap(style: Style): string {
  if (style.rand() >= style.spaces) return "";
  const kinds = style.anyWhitespace === true ? 4 : 1;
  let s = "";
  const length = 1 + Math.floor(style.rand() * 3);
  for (let j = 0; j < length; j++) s += [" ", "\t", "\n", "\r"][Math.floor(style.rand() * kinds)] ?? " ";
  return s;
}

function writeString(value: string, style: Style): string {
  if (style.escapes === 0) return JSON.stringify(value);
  let s = '"';
  for (const unit of Array.from({ length: value.length }, (_, j) => value.charCodeAt(j))) {
    if (style.rand() < style.escapes || unit < 0x20 || unit === 0x22 || unit === 0x5c) {
      s += `\\u${unit.toString(16).padStart(4, "0")}`;
    } else {
      s += String.fromCharCode(unit);
    }
  }
  return `${s}"`;
}

function write(doc: Doc, style: Style): string {
  switch (doc.kind) {
    case "object":
      return `{${gap(style)}${doc.members.map(([key, value]) => `${writeString(key, style)}${gap(style)}:${gap(style)}${write(value, style)}${gap(style)}`).join(`,${gap(style)}`)}}`;
    case "array":
      return `[${gap(style)}${doc.items.map((item) => `${write(item, style)}${gap(style)}`).join(`,${gap(style)}`)}]`;
    case "string":
      return writeString(doc.value, style);
    case "number":
    case "literal":
      return doc.text;
  }
}

/** The plain value JSON.parse would build (last duplicate wins), to also test JSON.stringify output. */
function toValue(doc: Doc): unknown {
  switch (doc.kind) {
    case "object": {
      const obj: Record<string, unknown> = {};
      for (const [key, value] of doc.members) Object.defineProperty(obj, key, { value: toValue(value), enumerable: true, configurable: true, writable: true });
      return obj;
    }
    case "array":
      return doc.items.map(toValue);
    case "string":
      return doc.value;
    case "number":
      return Number(doc.text);
    case "literal":
      return doc.text === "null" ? null : doc.text === "true";
  }
}

function corrupt(text: string, rand: () => number): string {
  const at = Math.floor(rand() * (text.length + 1));
  const junk = ['"', "\\", "{", "}", "[", "]", ",", ":", "0", "-", ".", "e", " ", "\u0000", "\n", "t", "u", "😀"][Math.floor(rand() * 18)] ?? "x";
  switch (Math.floor(rand() * 4)) {
    case 0:
      return text.slice(0, at) + junk + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + junk + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1);
    default:
      return text.slice(0, at);
  }
}

describe("property: random documents", () => {
  const CASES = 4000;

  test("JSON.stringify output", () => {
    const rand = createRandom(1);
    let accepted = 0;
    for (let j = 0; j < CASES; j++) {
      const doc = rand() < 0.95 ? randomEvent(rand) : randomDoc(rand, 0);
      const text = latin1(JSON.stringify(toValue(doc)));
      if (fastPathAcceptsLatin1(text)) accepted++;
      expectSame(text, `stringify case ${j}`);
    }
    expect(accepted).toBeGreaterThan(CASES / 3);
  });

  test("hand serialised, with duplicates, random whitespace and escapes", () => {
    const rand = createRandom(2);
    let accepted = 0;
    for (let j = 0; j < CASES; j++) {
      const doc = randomEvent(rand);
      const style: Style = {
        rand,
        spaces: [0, 0.1, 0.6][j % 3] ?? 0,
        escapes: [0, 0, 0.05, 0.5][Math.floor(j / 3) % 4] ?? 0,
        anyWhitespace: j % 5 === 0,
      };
      const text = latin1(write(doc, style));
      if (fastPathAcceptsLatin1(text)) accepted++;
      expectSame(text, `written case ${j}`);
    }
    // Many of these should exercise the fast path, not the fallback.
    expect(accepted).toBeGreaterThan(CASES / 4);
  });

  test("random corruptions of those", () => {
    const rand = createRandom(3);
    for (let j = 0; j < CASES; j++) {
      const style: Style = { rand, spaces: rand() < 0.5 ? 0 : 0.3, escapes: rand() < 0.7 ? 0 : 0.2, anyWhitespace: rand() < 0.2 };
      let text = write(randomEvent(rand), style);
      const rounds = 1 + Math.floor(rand() * 3);
      for (let r = 0; r < rounds; r++) text = corrupt(text, rand);
      expectSame(latin1(text), `corrupted case ${j}`);
    }
  });

  test("random corruptions of real events, then their Latin-1 views", () => {
    const rand = createRandom(4);
    for (let j = 0; j < CASES; j++) {
      let text = utf8Lines[Math.floor(rand() * utf8Lines.length)] ?? "";
      const rounds = 1 + Math.floor(rand() * 2);
      for (let r = 0; r < rounds; r++) text = corrupt(text, rand);
      expectSame(latin1(text), `corrupted real case ${j}`);
    }
  });

  test("random documents, Latin-1 views, written and corrupted", () => {
    const rand = createRandom(5);
    let accepted = 0;
    for (let j = 0; j < CASES; j++) {
      const doc = rand() < 0.95 ? randomEvent(rand) : randomDoc(rand, 0);
      const style: Style = { rand, spaces: [0, 0.1, 0.6][j % 3] ?? 0, escapes: [0, 0, 0.05, 0.5][Math.floor(j / 3) % 4] ?? 0, anyWhitespace: j % 5 === 0 };
      const text = latin1(j % 2 === 0 ? JSON.stringify(toValue(doc)) : write(doc, style));
      if (fastPathAcceptsLatin1(text)) accepted++;
      expectSame(text, `Latin-1 case ${j}`);
      let bad = text;
      const rounds = 1 + Math.floor(rand() * 3);
      for (let r = 0; r < rounds; r++) bad = latin1(corrupt(bad, rand));
      expectSame(bad, `corrupted Latin-1 case ${j}`);
    }
    expect(accepted).toBeGreaterThan(CASES / 4);
  });

  test("random corruptions of real events' Latin-1 views", () => {
    const rand = createRandom(6);
    for (let j = 0; j < CASES; j++) {
      let text = realLines[Math.floor(rand() * realLines.length)] ?? "";
      const rounds = 1 + Math.floor(rand() * 2);
      for (let r = 0; r < rounds; r++) text = corrupt(text, rand);
      // Junk above 0xff becomes its UTF-8 bytes.
      expectSame(latin1Unchanged(text), `corrupted real Latin-1 case ${j}`);
    }
  });
});

describe("Latin-1 views against the UTF-8 text", () => {
  // What production relies on: the fields read from the Latin-1 view are the UTF-8 text's, once
  // their bytes are decoded as UTF-8.
  test("the same fields as JSON.parse of the UTF-8 text, every real event", () => {
    const a = createEventFields();
    const b = createEventFields();
    for (let j = 0; j < utf8Lines.length; j++) {
      expect(extractFieldsLatin1(realLines[j] ?? "", a)).toBe(extractFieldsSlow(utf8Lines[j] ?? "", b));
      const decoded = Object.entries(a).map(([key, value]) => [key, typeof value === "string" ? Buffer.from(value, "latin1").toString("utf8") : value]);
      expect(Object.fromEntries(decoded)).toEqual(b);
    }
  });
});
