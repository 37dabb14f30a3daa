import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../../src/cli/config.ts";
import { DEFAULT_URL } from "../../../src/cli/flags.ts";
import { parseGlob } from "../../../src/cli/values.ts";
import { formatRedisUrl } from "../../../src/sink/redis/url.ts";
import { formatDuration, parseDuration, parseTime } from "../../../src/lib/duration.ts";
import { WikistreamError } from "../../../src/lib/error.ts";

describe("parseDuration", () => {
  test.each([
    ["30", 30_000],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    [" 10S ", 10_000],
    ["1d", 86_400_000],
  ])("%p is %p ms", (text, ms) => expect(parseDuration(text)).toBe(ms));
  test.each(["", "s", "-5s", "5 minutes", "1e3", "abc", "5x"])("%p is not a duration", (text) => expect(parseDuration(text)).toBeUndefined());
  test.each([30_000, 120_000, 1500, 3_600_000])("formatDuration(%p) parses back", (ms) => expect(parseDuration(formatDuration(ms))).toBe(ms));
});

describe("parseTime", () => {
  test.each([
    ["2026-11-26T10:00:00Z", Date.UTC(2026, 10, 26, 10)],
    ["2026-11-26T10:00:00", Date.UTC(2026, 10, 26, 10)],
    ["2026-11-26T11:00:00+01:00", Date.UTC(2026, 10, 26, 10)],
    ["2026-11-26", Date.UTC(2026, 10, 26)],
    ["1633731790", 1_633_731_790_000],
    ["1633731790123", 1_633_731_790_123],
    ["1633731790.5", 1_633_731_790_500],
  ])("%p is %p", (text, ms) => expect(parseTime(text)).toBe(ms));
  test.each(["yesterday", "26/11/2026", "", "2026-13-45T99:00:00Z"])("%p is not a time", (text) => expect(parseTime(text)).toBeUndefined());
});

function usageError(args: string[], env: Record<string, string> = {}): string {
  try {
    resolveConfig(args, env, false);
  } catch (error) {
    expect(error).toBeInstanceOf(WikistreamError);
    expect((error as WikistreamError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error(`no error for ${args.join(" ")}`);
}

describe("resolveConfig", () => {
  test("defaults match the documented ones", () => {
    const config = resolveConfig([], {}, false);
    expect(config).toMatchObject({
      url: DEFAULT_URL,
      redisUrl: undefined,
      windowMs: 30_000,
      latenessMs: 60_000,
      prefix: "wikistream:",
      resume: true,
      idleTimeoutMs: 30_000,
      excludeBots: false,
      format: "jsonl",
      maxEventBytes: 1024 * 1024,
    });
    expect(config.userAgent).toMatch(/^wikistream\/\d+\.\d+\.\d+ \(\+https?:\/\/.+\)$/);
    expect(resolveConfig([], {}, true).format).toBe("text");
  });

  test("flag beats env beats default", () => {
    const env = { REDIS_URL: "redis://env:6379", WIKISTREAM_WINDOW: "1m", WIKISTREAM_PREFIX: "env:" };
    expect(resolveConfig([], env, false)).toMatchObject({ redisUrl: "redis://env:6379", windowMs: 60_000, prefix: "env:" });
    expect(resolveConfig(["--redis-url", "redis://flag:1", "--window=2m", "--prefix", "f:"], env, false)).toMatchObject({
      redisUrl: "redis://flag:1",
      windowMs: 120_000,
      prefix: "f:",
    });
  });

  test("repeatable --server, --type list, --exclude-bots and --no-resume", () => {
    const config = resolveConfig(["--server", "*.wikipedia.org", "--server=www.wikidata.org", "--type", "edit,new", "--exclude-bots", "--no-resume", "--redis-url", "redis://h"], {}, false);
    expect(config.servers.map(String)).toEqual([String(parseGlob("*.wikipedia.org")), String(parseGlob("www.wikidata.org"))]);
    expect([...(config.types ?? [])]).toEqual(["edit", "new"]);
    expect(config.excludeBots).toBe(true);
    expect(config.resume).toBe(false);
  });

  test("parseGlob matches whole names, case-insensitively, dots literal", () => {
    const re = parseGlob("*.wikipedia.org");
    expect(re.test("en.wikipedia.org")).toBe(true);
    expect(re.test("EN.Wikipedia.org")).toBe(true);
    expect(re.test("en.wikipediaXorg")).toBe(false);
    expect(re.test("en.wikipedia.org.evil")).toBe(false);
  });

  test.each([
    [["--bogus"], /unknown flag '--bogus'/],
    [["--windw", "30s"], /unknown flag '--windw'/],
    [["positional"], /unexpected argument 'positional'/],
    [["--window"], /--window needs a value/],
    [["--window", "thirty"], /--window 'thirty' is not a duration/],
    [["--window", "1500ms"], /--window must be whole seconds/],
    [["--lateness", "-1s"], /--lateness '-1s' is not a duration/],
    [["--since", "yesterday"], /--since 'yesterday' is not a time/],
    [["--since", "2026-01-02", "--until", "2026-01-01"], /--until must be later than --since/],
    [["--url", "ftp://x"], /--url must start with http: or https:/],
    [["--url", "not a url"], /--url is not a URL/],
    [["--redis-url", "http://localhost"], /--redis-url must start with redis: or rediss:/],
    [["--prefix", "a b"], /--prefix 'a b' may use only/],
    [["--format", "xml"], /--format must be text or jsonl/],
    [["--verbose", "--quiet"], /exclude each other/],
    [["--max-event-bytes", "12"], /--max-event-bytes '12' must be a size/],
    [["--redis-ca", "ca.pem"], /--redis-ca needs a rediss:\/\//],
    [["--exclude-bots=maybe"], /--exclude-bots takes no value/],
    [["--no-window"], /unknown flag '--no-window'/],
  ])("%p is refused with one line naming the flag", (args, pattern) => {
    const message = usageError(args as string[]);
    expect(message).toMatch(pattern);
    expect(message).not.toContain("\n");
  });

  test.each([
    { name: "prefix", args: ["x:"] },
    { name: "no-resume", args: [] },
    { name: "retain", args: ["7d"] },
    { name: "rollup", args: ["1h"] },
    { name: "retain-rollup", args: ["30d"] },
    { name: "standby", args: [] },
    { name: "feed", args: [] },
    { name: "lock-ttl", args: ["10s"] },
  ])(
    "--$name without --redis-url does nothing, so it is refused and says why",
    ({ name, args: rest }) => {
      const args = [`--${name}`, ...rest];
      expect(usageError(args)).toBe(`--${name} does nothing without --redis-url (windows are printed, not stored): give --redis-url URL (or REDIS_URL), or leave --${name} out (see wikistream --help)`);
      expect(() => resolveConfig([...args, "--redis-url", "redis://h"], {}, false)).not.toThrow();
    },
  );

  test.each([
    { args: ["--window", "7s", "--rollup", "1h"], says: "--window 7s does not divide an hour, so its windows cannot make up the --rollup sums: use a window that does (10s, 15s, 30s, 1m, 5m, …)" },
    { args: ["--window", "2h", "--rollup", "1h"], says: "--window 2h does not divide an hour" },
    { args: ["--retain", "1h", "--rollup", "1h"], says: "--retain 1h is shorter than the 1h rollup needs (its windows must outlive it: 3690s with --lateness): use --retain 1d or 0" },
    { args: ["--retain-rollup", "1d", "--rollup", "1d"], says: "--retain-rollup 1d is shorter than the 1d rollup needs (its 1h sums must outlive it: 1501m with --lateness): use --retain-rollup 2d or 0" },
  ])("rollups: $args is refused", ({ args, says }) => {
    expect(usageError([...args, "--redis-url", "redis://h"])).toStartWith(says);
  });

  test("rollups: a window that divides the hour, and retentions that outlast each period, are taken", () => {
    for (const args of [
      ["--window", "15s", "--rollup", "1h,1d"],
      ["--window", "1h", "--rollup", "1d"],
      ["--retain", "2h", "--rollup", "1d"],
      ["--retain", "0", "--retain-rollup", "0", "--rollup", "1d"],
      ["--retain-rollup", "2d", "--rollup", "1d"],
    ]) {
      expect(resolveConfig([...args, "--redis-url", "redis://h"], {}, false).rollups.length).toBeGreaterThan(0);
    }
  });

  test.each([
    ["mine:", "{mine}:"],
    ["{}{ws}:", "{ws}:"],
    ["", "{wikistream}:"],
  ])("in a Cluster, --prefix '%s' has no hash tag Redis would use: refused with the fix %s", (prefix, fix) => {
    expect(usageError(["--redis-url", "redis+cluster://h:7000", "--prefix", prefix])).toBe(
      `--prefix '${prefix}' has no hash tag: in a Redis Cluster all keys of a prefix must share one slot; use --prefix '${fix}' (see wikistream --help)`,
    );
  });

  test("in a Cluster, a prefix with a hash tag is kept, and none gives {wikistream}:", () => {
    expect(resolveConfig(["--redis-url", "redis+cluster://h:7000", "--prefix", "ws{a}:"], {}, false).prefix).toBe("ws{a}:");
    expect(resolveConfig(["--redis-url", "REDIS+CLUSTER://h:7000"], {}, false).prefix).toBe("{wikistream}:");
  });

  test("from the environment, a Redis setting is left alone in a run that prints (an env file may serve both)", () => {
    expect(resolveConfig([], { WIKISTREAM_PREFIX: "x:", WIKISTREAM_STANDBY: "1", WIKISTREAM_RETAIN: "7d" }, false).redisUrl).toBeUndefined();
  });

  test("--feed is off unless given, from the flag or WIKISTREAM_FEED (yes/no, not anything)", () => {
    const url = ["--redis-url", "redis://h"];
    expect(resolveConfig(url, {}, false).feed).toBe(false);
    expect(resolveConfig([...url, "--feed"], {}, false).feed).toBe(true);
    expect(resolveConfig(url, { WIKISTREAM_FEED: "1" }, false).feed).toBe(true);
    expect(resolveConfig(url, { WIKISTREAM_FEED: "no" }, false).feed).toBe(false);
    expect(usageError(url, { WIKISTREAM_FEED: "maybe" })).toContain("WIKISTREAM_FEED");
  });

  test("a bad env value names the flag too", () => {
    expect(usageError([], { WIKISTREAM_WINDOW: "soon" })).toMatch(/--window 'soon'/);
  });

  test("--max-event-bytes takes units", () => {
    expect(resolveConfig(["--max-event-bytes", "512KiB"], {}, false).maxEventBytes).toBe(512 * 1024);
    expect(resolveConfig(["--max-event-bytes", "2M"], {}, false).maxEventBytes).toBe(2 * 1024 * 1024);
  });
});

describe("formatRedisUrl", () => {
  test("never shows the password", () => {
    expect(formatRedisUrl("redis://user:s3cret@host:6379/2")).toBe("redis://user:***@host:6379/2");
    expect(formatRedisUrl("rediss://:s3cret@host:6380")).not.toContain("s3cret");
    expect(formatRedisUrl("redis://host:6379")).toBe("redis://host:6379");
    expect(formatRedisUrl("redis://host:6379/?password=s3cret&db=1")).not.toContain("s3cret");
  });
});
