import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { parseBytes, parseChoice, parseDurationFlag, parseGlob, parseHttpUrl, parsePrefix, parseRedisUrlFlag, parseTimeFlag, parseTypes, parseUserAgent, usage } from "../../../src/cli/values.ts";
import { refusal } from "./refusal.ts";

test("usage() points at --help", () => {
  expect(usage("bad").message).toBe("bad (see wikistream --help)");
});

describe("parseChoice", () => {
  test.each(["text", "jsonl"])("accepts '%s'", (value) => expect(parseChoice(value, "--format", ["text", "jsonl"])).toBe(value));
  test.each(["json", "TEXT", ""])("refuses '%s'", (value) => {
    expect(refusal(() => parseChoice(value, "--format", ["text", "jsonl"]))).toBe(`--format must be text or jsonl, got '${value}'`);
  });
});

describe("parseDurationFlag", () => {
  const rules = { minMs: 1000, wholeSeconds: true };
  test.each([
    { value: "30", ms: 30_000 },
    { value: "30s", ms: 30_000 },
    { value: "2m", ms: 120_000 },
    { value: "1h", ms: 3_600_000 },
    { value: "1.5m", ms: 90_000 },
    { value: "1000ms", ms: 1000 },
    { value: " 45S ", ms: 45_000 },
  ])("accepts '$value' as $ms ms", ({ value, ms }) => {
    expect(parseDurationFlag(value, "--window", rules)).toBe(ms);
  });

  test.each([
    { value: "abc", says: "--window 'abc' is not a duration: use 30, 30s, 2m or 1h" },
    { value: "-5s", says: "--window '-5s' is not a duration: use 30, 30s, 2m or 1h" },
    { value: "5 minutes", says: "--window '5 minutes' is not a duration: use 30, 30s, 2m or 1h" },
    { value: "", says: "--window '' is not a duration: use 30, 30s, 2m or 1h" },
    { value: "500ms", says: "--window must be at least 1s, got '500ms'" },
    { value: "0", says: "--window must be at least 1s, got '0'" },
    { value: "1.5s", says: "--window must be whole seconds, got 1500ms" },
  ])("refuses '$value'", ({ value, says }) => {
    expect(refusal(() => parseDurationFlag(value, "--window", rules))).toBe(says);
  });

  test("without wholeSeconds, fractions and zero are fine when the minimum allows", () => {
    expect(parseDurationFlag("1.5s", "--lateness", { minMs: 0 })).toBe(1500);
    expect(parseDurationFlag("0", "--lateness", { minMs: 0 })).toBe(0);
  });
});

describe("parseTimeFlag", () => {
  const at = Date.UTC(2026, 10, 26, 10, 0, 0);
  test.each([
    { value: "2026-11-26T10:00:00Z", ms: at },
    { value: "2026-11-26T10:00:00", ms: at }, // no zone: UTC
    { value: "2026-11-26T11:00:00+01:00", ms: at },
    { value: "2026-11-26", ms: Date.UTC(2026, 10, 26) },
    { value: "1795687200", ms: at }, // Unix seconds
    { value: "1795687200000", ms: at }, // Unix milliseconds
    { value: "1795687200.5", ms: at + 500 },
    { value: "99999999999", ms: 99_999_999_999_000 }, // 11 digits are still seconds
  ])("accepts '$value'", ({ value, ms }) => {
    expect(parseTimeFlag(value, "--since")).toBe(ms);
  });

  test.each(["yesterday", "", "26/11/2026", "2026-13-45", "-1"])("refuses '%s'", (value) => {
    expect(refusal(() => parseTimeFlag(value, "--since"))).toBe(`--since '${value}' is not a time: use ISO 8601 (2026-11-26T10:00:00Z) or Unix seconds`);
  });

  // Bug (lib/duration.ts parseTime, through Date.parse): a day the month does not have rolls
  // over into the next month, so --since 2026-02-30 silently means 2 March.
  test.each(["2026-02-30T00:00:00Z", "2026-04-31"])("refuses the non-existent day '%s'", (value) => {
    expect(() => parseTimeFlag(value, "--since")).toThrow(WikistreamError);
  });
});

describe("URLs", () => {
  test.each(["https://stream.wikimedia.org/v2/stream/recentchange", "http://127.0.0.1:8080/sse?x=1"])("http(s) accepts %s as typed", (value) => {
    expect(parseHttpUrl(value, "--url")).toBe(value);
  });
  test.each([
    { value: "stream.wikimedia.org", says: "--url is not a URL: expected http://host… or https://host…" },
    { value: "ftp://x/y", says: "--url must start with http: or https:, got ftp:" },
    { value: "redis://h", says: "--url must start with http: or https:, got redis:" },
  ])("http(s) refuses $value", ({ value, says }) => {
    expect(refusal(() => parseHttpUrl(value, "--url"))).toBe(says);
  });

  test.each(["redis://h:6379/0", "rediss://u:p@h", "redis+sentinel://h:26379/mymaster", "rediss+cluster://a:7000,b:7001"])("redis accepts %s as typed", (value) => {
    expect(parseRedisUrlFlag(value, "--redis-url")).toBe(value);
  });
  test.each([
    ["REDIS://H", "redis://H"],
    ["REDIS+CLUSTER://h:7000", "redis+cluster://h:7000"],
    ["Redis+Sentinel://h/mymaster", "redis+sentinel://h/mymaster"],
  ])("redis takes %s with its scheme in lower case (%s)", (typed, value) => {
    expect(parseRedisUrlFlag(typed, "--redis-url")).toBe(value);
  });
  test.each([
    { value: "127.0.0.1:6379", says: "--redis-url is not a URL: expected redis://host… or rediss://host…" },
    { value: "localhost:6379", says: "--redis-url must start with redis: or rediss: (or redis+sentinel:, redis+cluster:), got localhost:" },
    { value: "localhost", says: "--redis-url is not a URL: expected redis://host… or rediss://host…" },
    { value: "http://h", says: "--redis-url must start with redis: or rediss: (or redis+sentinel:, redis+cluster:), got http:" },
  ])("redis refuses $value", ({ value, says }) => {
    expect(refusal(() => parseRedisUrlFlag(value, "--redis-url"))).toBe(says);
  });
});

describe("parsePrefix", () => {
  test.each(["", "wikistream:", "{ws}:", "a/b.c-d_e:", "x".repeat(100)])("accepts '%s'", (value) => {
    expect(parsePrefix(value, "--prefix")).toBe(value);
  });
  test.each(["a b", "a*", "ü:", "a\n", "$x", "x".repeat(101)])("refuses %j", (value) => {
    expect(refusal(() => parsePrefix(value, "--prefix"))).toBe(`--prefix '${value}' may use only letters, digits and _ . : - / { } (100 at most)`);
  });
});

describe("parseTypes", () => {
  test.each([
    { value: "edit", types: ["edit"] },
    { value: "edit,new", types: ["edit", "new"] },
    { value: " edit , log ,", types: ["edit", "log"] },
    { value: "edit,edit", types: ["edit"] },
    { value: "edit,new,log,categorize,external", types: ["edit", "new", "log", "categorize", "external"] },
  ])("accepts '$value'", ({ value, types }) => {
    expect([...parseTypes(value, "--type")]).toEqual([...types]);
  });
  test.each([
    { value: ",", says: "--type needs at least one type: edit, new, log, categorize, external" },
    { value: "", says: "--type needs at least one type: edit, new, log, categorize, external" },
    { value: "Edit", says: "--type 'Edit' is not a change type: use edit, new, log, categorize, external (lower case)" },
    { value: "edit,foo,bar", says: "--type 'foo,bar' is not a change type: use edit, new, log, categorize, external (lower case)" },
  ])("refuses '$value'", ({ value, says }) => {
    expect(refusal(() => parseTypes(value, "--type"))).toBe(says);
  });
});

describe("parseUserAgent", () => {
  test.each(["mytool/1.0 (me@example.org)", "x", "a ~!@#$%^&*()"])("accepts '%s'", (value) => expect(parseUserAgent(value, "--user-agent")).toBe(value));
  test.each(["tool\r\nX-Injected: 1", "outil/1.0 (é)", "tab\there"])("refuses %j", (value) => {
    expect(refusal(() => parseUserAgent(value, "--user-agent"))).toBe("--user-agent must be printable ASCII (letters, digits, spaces and punctuation; no accents or control characters)");
  });
  test.each(["", "   "])("refuses %j as empty, saying why one is needed", (value) => {
    expect(refusal(() => parseUserAgent(value, "--user-agent"))).toBe(
      "--user-agent is empty: Wikimedia refuses requests without a descriptive User-Agent (HTTP 403); name your tool and a contact (e.g. 'mytool/1.0 (me@example.org)'), or leave --user-agent out for wikistream's own",
    );
  });
});

describe("parseBytes", () => {
  test.each([
    { value: "1024", bytes: 1024 },
    { value: "1048576", bytes: 1_048_576 },
    { value: "512KiB", bytes: 524_288 },
    { value: "512k", bytes: 524_288 },
    { value: "2KB", bytes: 2048 },
    { value: "1MiB", bytes: 1_048_576 },
    { value: " 3 mb ", bytes: 3_145_728 },
    { value: "2048B", bytes: 2048 },
  ])("accepts '$value' as $bytes", ({ value, bytes }) => {
    expect(parseBytes(value, "--max-event-bytes")).toBe(bytes);
  });
  test.each(["1023", "0", "1.5MiB", "1GiB", "", "MiB", "-2048", "99999999999999MiB"])("refuses '%s'", (value) => {
    expect(refusal(() => parseBytes(value, "--max-event-bytes"))).toBe(`--max-event-bytes '${value}' must be a size of at least 1024 bytes, e.g. 1MiB`);
  });
});

describe("parseGlob", () => {
  test.each([
    { glob: "*.wikipedia.org", name: "en.wikipedia.org", matches: true },
    { glob: "*.wikipedia.org", name: "EN.WIKIPEDIA.ORG", matches: true },
    { glob: "*.wikipedia.org", name: "en.wikipedia.org.evil", matches: false },
    { glob: "*.wikipedia.org", name: "en.wikipediaXorg", matches: false },
    { glob: "??.wikipedia.org", name: "de.wikipedia.org", matches: true },
    { glob: "??.wikipedia.org", name: "simple.wikipedia.org", matches: false },
    { glob: "www.wikidata.org", name: "www.wikidata.org", matches: true },
    { glob: "wiki", name: "en.wikipedia.org", matches: false },
    { glob: "*", name: "anything.at.all", matches: true },
    { glob: "a+b(c)[d]$", name: "a+b(c)[d]$", matches: true },
    { glob: "a+b", name: "aab", matches: false },
    { glob: "commons.*", name: "commons.wikimedia.org", matches: true },
  ])("'$glob' matches '$name': $matches", ({ glob, name, matches }) => {
    expect(parseGlob(glob).test(name)).toBe(matches);
  });
});
