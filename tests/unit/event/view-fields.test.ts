/**
 * The view fields (title, user, wiki, log_type, namespace) as the scanner reads them in its one
 * pass, against JSON.parse of the event's UTF-8 text: every real event in the byte forms the
 * stream and its recorders write (raw UTF-8, every non-ASCII character escaped as Python's
 * json.dumps does, json.dumps separators, `\/`), and crafted hard cases (escapes, surrogate
 * pairs, lone surrogates, bytes that are not UTF-8, long titles, odd key orders, the same names
 * nested deeper, duplicates, wrong types, numbers of every shape). The scanner must answer the
 * real events itself, and read only the view fields it is asked for.
 */
import { describe, expect, test } from "bun:test";
import { VIEW_FIELD, createEventFields, extractFieldsLatin1, fastPathAcceptsLatin1, slowPathCount, type EventFields } from "../../../src/event/fields.ts";
import { parseView } from "../../../src/event/dimension.ts";
import { CountingPolicy } from "../../../src/event/policy.ts";
import { loadRealEvents, readFieldText } from "../../support/corpus.ts";

const ALL = Object.values(VIEW_FIELD).reduce((mask, bit) => mask | bit, 0);

/** The Latin-1 view of `text`'s UTF-8 bytes: what the SSE source hands over. */
const latin1 = (text: string) => Buffer.from(text, "utf8").toString("latin1");

/** The reference: JSON.parse of the UTF-8 text and a pick, each view field only as the type it must be. */
function pickReference(json: string): Partial<EventFields> {
  const event = JSON.parse(json) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const namespace = event["namespace"];
  return {
    wiki: text(event["wiki"]),
    title: text(event["title"]),
    user: text(event["user"]),
    logType: text(event["log_type"]),
    namespace: typeof namespace === "number" ? namespace : undefined,
  };
}

/** The view fields the extractor gives for the UTF-8 text `json`, every one asked for. */
function pickFast(json: string, want = ALL): Partial<EventFields> {
  const out = createEventFields();
  expect(extractFieldsLatin1(latin1(json), out, want)).toBe("ok");
  return { wiki: out.wiki, title: out.title, user: out.user, logType: out.logType, namespace: out.namespace };
}

/**
 * Runs `check` on `json` and expects the scanner itself to have answered (no JSON.parse fallback):
 * otherwise the comparisons could pass by always falling back.
 */
function expectScanned(json: string, check: () => void): void {
  const before = slowPathCount();
  check();
  expect({ json: json.slice(0, 200), fallbacks: slowPathCount() - before }).toEqual({ json: json.slice(0, 200), fallbacks: 0 });
}

/** Every non-ASCII character as a \u escape (astral ones as surrogate pairs), as Python's json.dumps writes by default. */
const escapeNonAscii = (json: string) => json.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
/** json.dumps' separators: ", " and ": " (the same value: only the gaps between tokens change). */
const spaceOut = (json: string) => JSON.stringify(JSON.parse(json), null, 1).replace(/\n */g, " ").replace(/([[{]) /g, "$1").replace(/ ([\]}])/g, "$1");
/** Every slash escaped, as PHP's json_encode writes it. */
const escapeSlashes = (json: string) => json.replaceAll("/", "\\/");

const realEvents = loadRealEvents();

describe("every real event, in every form, read in the one pass", () => {
  test.each([
    ["raw UTF-8 (the stream's form)", (json: string) => json],
    ["non-ASCII escaped (json.dumps' default, as the editgroups recordings)", escapeNonAscii],
    ["json.dumps separators", spaceOut],
    ["slashes escaped", escapeSlashes],
    ["all of them", (json: string) => escapeSlashes(spaceOut(escapeNonAscii(json)))],
  ])("%s", (_form, rewrite) => {
    expect(realEvents.length).toBe(10_966);
    let nonAscii = 0;
    let escaped = 0;
    for (const line of realEvents) {
      const json = rewrite(line);
      const reference = pickReference(json);
      expectScanned(json, () => expect({ json, ...pickFast(json) }).toEqual({ json, ...reference }));
      if (/[^\x00-\x7f]/.test(`${reference.title}${reference.user}`)) nonAscii++;
      if (/"(title|user)": ?"[^"]*\\/.test(json)) escaped++;
    }
    // Many titles and users are not ASCII, and some hold an escape in every form.
    expect(nonAscii).toBeGreaterThan(500);
    expect(escaped).toBeGreaterThan(0);
  });

  test("the fast path answers every real event with every view field asked for", () => {
    expect(realEvents.map(latin1).filter((line) => !fastPathAcceptsLatin1(line, ALL))).toEqual([]);
  });
});

/** A compact event with every view field, to build the crafted cases from. */
const BASE = '{"meta":{"domain":"en.wikipedia.org","id":"m"},"type":"log","namespace":0,"title":"Main Page","user":"Ann","wiki":"enwiki","log_type":"move","server_name":"en.wikipedia.org","timestamp":1700000000,"bot":false}';
/** BASE with the JSON text of `title` (quotes included) in place of "Main Page". */
const withTitle = (value: string) => BASE.replace('"Main Page"', value);

/** Crafted cases as UTF-8 text: each must read as JSON.parse reads it, and (unless marked) without the fallback. */
const crafted: [string, string, "scanned" | "fallback"][] = [
  ["base", BASE, "scanned"],
  ["every one-letter escape", withTitle('"q\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t"'), "scanned"],
  ["\\u escapes of ASCII, upper and lower hex", withTitle('"\\u0041\\u004a\\u004A"'), "scanned"],
  ["\\u escape of a Latin-1 letter next to its raw UTF-8", withTitle('"\\u00e9 é"'), "scanned"],
  ["\\u0000 and other escaped controls", withTitle('"a\\u0000b\\u001fc"'), "scanned"],
  ["a surrogate pair escaped", withTitle('"\\ud83d\\ude00 smile"'), "scanned"],
  ["a surrogate pair escaped, upper hex", withTitle('"\\uD83D\\uDE00"'), "scanned"],
  ["a lone high surrogate", withTitle('"x\\ud800"'), "scanned"],
  ["a lone low surrogate", withTitle('"\\udc00x"'), "scanned"],
  ["a reversed pair", withTitle('"\\ude00\\ud83d"'), "scanned"],
  ["a high surrogate then a raw character", withTitle('"\\ud83dé"'), "scanned"],
  ["an escaped U+FFFD", withTitle('"\\ufffd"'), "scanned"],
  ["raw astral and CJK UTF-8", withTitle('"😀 東京 Ünïcödé"'), "scanned"],
  ["raw U+2028 and U+2029", withTitle('"a\u2028b\u2029c"'), "scanned"],
  ["an escaped backslash before the closing quote", withTitle('"a\\\\"'), "scanned"],
  ["an escaped quote at the start", withTitle('"\\"quoted\\""'), "scanned"],
  ["an empty title", withTitle('""'), "scanned"],
  ["a title of 255 two-byte characters", withTitle(`"${"é".repeat(255)}"`), "scanned"],
  ["a long title with escapes across 32-byte blocks", withTitle(`"${"ab\\u00e9cd\\\"efgh\\\\ij\\/k".repeat(400)}"`), "scanned"],
  ["a title of 60,000 characters", withTitle(`"${"Seite ".repeat(10_000)}"`), "scanned"],
  ["view fields first", '{"title":"T","user":"U","wiki":"w","log_type":"l","namespace":4,"server_name":"s","timestamp":1}', "scanned"],
  ["view fields last, after meta", '{"server_name":"s","meta":{"id":"m"},"namespace":-1,"log_type":"l","wiki":"w","user":"U","title":"T"}', "scanned"],
  ["spaces around every token", ' { "title" : "T" , "user" : "U" , "namespace" : 2 , "wiki" : "w" } ', "scanned"],
  ["the names nested deeper", '{"log_params":{"title":"Not this","user":"nor this","namespace":9},"meta":{"title":"m","wiki":"m","user":"m"},"revision":{"user":"r"},"x":[{"title":"a"},{"log_type":"b"}],"title":"This"}', "scanned"],
  ["the names nested deeper only", '{"log_params":{"title":"Not this","user":"nor this","namespace":9,"wiki":"w","log_type":"l"}}', "scanned"],
  ["the names as values", '{"comment":"title","a":["user","wiki"],"namespace_":"namespace"}', "scanned"],
  ["a duplicate title: the last wins", '{"title":"first","title":"second"}', "scanned"],
  ["a duplicate title, the last no string", '{"title":"first","title":5}', "scanned"],
  ["a duplicate title, the first no string", '{"title":null,"title":"second"}', "scanned"],
  ["a duplicate namespace, the last a string", '{"namespace":1,"namespace":"1"}', "scanned"],
  ["wrong types", '{"title":5,"user":null,"wiki":true,"log_type":false,"namespace":"0"}', "scanned"],
  ["objects and arrays where strings belong", '{"title":{"a":"b"},"user":["U"],"wiki":{},"log_type":[],"namespace":{"n":1}}', "scanned"],
  ["namespace -0", '{"namespace":-0}', "scanned"],
  ["namespace 1.5", '{"namespace":1.5}', "scanned"],
  ["namespace 1e2", '{"namespace":1e2}', "scanned"],
  ["namespace 1E+2", '{"namespace":1E+2}', "scanned"],
  ["namespace 2.0", '{"namespace":2.0}', "scanned"],
  ["namespace 1e400", '{"namespace":1e400}', "scanned"],
  ["namespace -1e400", '{"namespace":-1e400}', "scanned"],
  ["namespace 20 digits", '{"namespace":12345678901234567890}', "scanned"],
  ["namespace 2^53 + 1", '{"namespace":9007199254740993}', "scanned"],
  ["near misses of the names", '{"titl":"a","titles":"b","Title":"c","user_":"d","wikis":"e","log-type":"f","namespac":1,"namespaces":2}', "scanned"],
  // The scanner declines these; JSON.parse answers, as exactly.
  ["an escaped key spelling title", '{"\\u0074itle":"escaped key","server_name":"s"}', "fallback"],
  ["a tab between tokens", '{"title":"a",\t"user":"b"}', "fallback"],
  ["a newline between tokens", '{"title":"T",\n"user":"U"}', "fallback"],
];

describe("crafted cases, as JSON.parse of the UTF-8 text reads them", () => {
  test.each(crafted)("%s", (_name, json, path) => {
    const before = slowPathCount();
    expect(pickFast(json)).toEqual(pickReference(json));
    if (path === "scanned") expect(fastPathAcceptsLatin1(latin1(json), ALL)).toBe(true);
    expect(slowPathCount() - before).toBe(path === "scanned" ? 0 : 1);
  });

  test("bytes that are not UTF-8 read as JSON.parse of the decoded text reads them (U+FFFD)", () => {
    for (const bad of [[0xff], [0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]]) {
      const bytes = Buffer.concat([Buffer.from('{"title":"a'), Buffer.from(bad), Buffer.from('b","user":"'), Buffer.from(bad), Buffer.from('"}')]);
      const out = createEventFields();
      expect(extractFieldsLatin1(bytes.toString("latin1"), out, ALL)).toBe("ok");
      const reference = pickReference(bytes.toString("utf8"));
      expect({ bad, title: out.title, user: out.user }).toEqual({ bad, title: reference.title, user: reference.user });
      expect(out.title).toContain("\ufffd");
    }
  });
});

describe("only the view fields asked for", () => {
  test("each bit reads its own field, and no other", () => {
    const everything = pickFast(BASE);
    for (const [name, bit] of Object.entries(VIEW_FIELD)) {
      const one = pickFast(BASE, bit);
      const expected = Object.fromEntries(Object.keys(everything).map((key) => [key, key === name ? everything[key as keyof typeof everything] : undefined]));
      expect(one).toEqual(expected);
    }
    expect(pickFast(BASE, 0)).toEqual({ wiki: undefined, title: undefined, user: undefined, logType: undefined, namespace: undefined });
  });

  test("a field not asked for is skipped like any value: its escapes never send the event to JSON.parse", () => {
    const json = withTitle('"\\u00e9\\"x"');
    const before = slowPathCount();
    pickFast(json, 0);
    pickFast(json, ALL);
    expect(slowPathCount()).toBe(before);
  });
});

describe("members through the counting policy", () => {
  const policy = new CountingPolicy({
    views: ["title", "user", "server_name,title", "namespace", "wiki,log_type"].map(parseView),
    filter: { types: undefined, excludeBots: false, servers: [] },
    horizonMs: () => Number.POSITIVE_INFINITY,
    expiredBeforeMs: () => Number.NEGATIVE_INFINITY,
  });
  const lists = ["title", "user", "server_name,title", "namespace", "wiki,log_type"];
  /** The members the README's rules give for the UTF-8 text `json`. */
  const expectedMembers = (json: string) => {
    const event = JSON.parse(json) as Record<string, unknown>;
    return lists.map((list) => list.split(",").map((field) => readFieldText(event, field)).join("|"));
  };

  test("every real event with every non-ASCII character escaped: the members of its raw form", () => {
    for (const line of realEvents) {
      const verdict = policy.judge(latin1(escapeNonAscii(line)));
      expect(verdict.skip).toBeNull();
      expect(verdict.members).toEqual(expectedMembers(line));
    }
  });

  test("lone surrogates and bytes that are not UTF-8 count under (none) in a view; a real pair is its character", () => {
    const cases: [string, string[]][] = [
      [withTitle('"\\ud800"'), ["(none)", "Ann", "en.wikipedia.org|(none)", "0", "enwiki|move"]],
      [withTitle('"\\ude00\\ud83d"'), ["(none)", "Ann", "en.wikipedia.org|(none)", "0", "enwiki|move"]],
      [withTitle('"\\ufffd"'), ["(none)", "Ann", "en.wikipedia.org|(none)", "0", "enwiki|move"]],
      [withTitle('"\\ud83d\\ude00 a|b"'), ["😀 a|b", "Ann", "en.wikipedia.org|😀 a|b", "0", "enwiki|move"]],
      [BASE.replace('"namespace":0', '"namespace":-0').replace('"Ann"', '"\\u00c5sa"'), ["Main Page", "Åsa", "en.wikipedia.org|Main Page", "0", "enwiki|move"]],
    ];
    for (const [json, members] of cases) expect(policy.judge(latin1(json)).members).toEqual(members);
    const notUtf8 = latin1(BASE).replace('"Ann"', '"\xff\xfe"');
    expect(policy.judge(notUtf8).members).toEqual(["Main Page", "(none)", "en.wikipedia.org|Main Page", "0", "enwiki|move"]);
  });
});
