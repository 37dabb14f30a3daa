import { describe, expect, test } from "bun:test";
import { FLAGS, type FlagSpec } from "../../../src/cli/flags.ts";
import { formatHelp, HELP_COLUMNS } from "../../../src/cli/help.ts";
import { resolveFlags } from "../../../src/cli/parse.ts";
import { MAX_TOP_WINDOWS, READ_FLAGS, READ_HELP, TAIL_FLAGS, TOP_FLAGS, TOP_HELP, parseStreamName, parseWindowCount } from "../../../src/cli/query-flags.ts";

describe("the query tables share the counting run's flags", () => {
  test.each(["prefix", "redis-ca", "quiet", "help"] as const)("--%s is FLAGS' own entry in both tables", (name) => {
    expect(TOP_FLAGS[name]).toBe(FLAGS[name]);
    expect(READ_FLAGS[name]).toBe(FLAGS[name]);
  });

  test("--redis-url and --verbose keep FLAGS' env, hint and parser, with words for a reader", () => {
    for (const table of [TOP_FLAGS, READ_FLAGS]) {
      expect(table["redis-url"].parse).toBe(FLAGS["redis-url"].parse);
      expect(table["redis-url"].env).toBe("REDIS_URL");
      expect(table["redis-url"].hint).toBe(FLAGS["redis-url"].hint);
      expect(table["redis-url"].help).not.toContain("write");
      expect(table["redis-url"].defaultHelp).toBeUndefined();
      expect(table.verbose.kind).toBe("boolean");
    }
  });

  test("read's --server is its own: it reads no WIKISTREAM_SERVER", () => {
    expect(READ_FLAGS.server).not.toBe(FLAGS.server);
    expect((READ_FLAGS.server as FlagSpec<unknown>).env).toBeUndefined();
    const values = resolveFlags(["--from", "0"], { WIKISTREAM_SERVER: "en.*" }, READ_FLAGS);
    expect(values.server).toEqual([]);
  });

  test("WIKISTREAM_PREFIX and REDIS_URL apply to the query commands as to the run", () => {
    const values = resolveFlags([], { REDIS_URL: "redis://h:1/2", WIKISTREAM_PREFIX: "x:" }, TOP_FLAGS);
    expect(values["redis-url"]).toBe("redis://h:1/2");
    expect(values.prefix).toBe("x:");
    expect(values.windows).toBe(20);
  });
});

describe("parseWindowCount", () => {
  test.each(["1", "20", " 7 ", String(MAX_TOP_WINDOWS)])("%p is a count", (text) => {
    expect(parseWindowCount(text, "--windows")).toBe(Number(text));
  });

  test.each(["0", "-1", "1.5", "1e3", "", "ten", String(MAX_TOP_WINDOWS + 1), "9999999"])("%p is refused, naming the flag", (text) => {
    expect(() => parseWindowCount(text, "--windows")).toThrow(/--windows must be a whole number of windows from 1 to/);
  });
});

describe("their --help", () => {
  test.each([
    ["top", TOP_HELP, TOP_FLAGS],
    ["read", READ_HELP, READ_FLAGS],
  ] as const)("%s: every flag listed, every line within 80 columns", (_, header, table) => {
    const help = formatHelp(header, table);
    for (const name of Object.keys(table)) expect(help).toContain(`--${name}`);
    for (const line of help.split("\n")) expect(line.length).toBeLessThanOrEqual(HELP_COLUMNS);
    expect(help).toContain("env REDIS_URL");
  });
});

describe("tail's flags", () => {
  test("--redis-url, --prefix and --redis-ca are the readers' own entries: REDIS_URL and WIKISTREAM_PREFIX apply", () => {
    expect(TAIL_FLAGS["redis-url"]).toBe(TOP_FLAGS["redis-url"]);
    expect(TAIL_FLAGS.prefix).toBe(FLAGS.prefix);
    const values = resolveFlags(["--group", "g", "--from", "2026-11-26T10:00:00Z"], { REDIS_URL: "redis://h", WIKISTREAM_PREFIX: "x:" }, TAIL_FLAGS);
    expect(values).toMatchObject({ "redis-url": "redis://h", prefix: "x:", group: "g", from: Date.parse("2026-11-26T10:00:00Z"), json: false });
    expect(values.consumer).toBeUndefined();
  });

  test.each(["app", "app-1", "a:b/c.d", "x".repeat(200)])("%p is a group or consumer name", (name) => {
    expect(parseStreamName(name, "--group")).toBe(name);
  });

  test.each(["", "two words", "tab\there", "x".repeat(201), "naïve"])("%p is refused, naming the flag", (name) => {
    expect(() => parseStreamName(name, "--consumer")).toThrow(/^--consumer '.*' must be 1 to 200 printable characters without spaces/s);
  });
});
