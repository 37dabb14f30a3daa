import { describe, expect, test } from "bun:test";
import { FLAGS } from "../../../src/cli/flags.ts";
import { readArgv, resolveFlags, suggestFlag } from "../../../src/cli/parse.ts";
import { WikistreamError } from "../../../src/lib/error.ts";
import { refusal } from "./refusal.ts";

type Env = Record<string, string | undefined>;
const resolve = (argv: readonly string[], env: Env = {}) => resolveFlags(argv, env, FLAGS);

describe("suggestFlag", () => {
  const names = Object.keys(FLAGS);
  test.each([
    { typed: "windw", suggests: "window" },
    { typed: "wndow", suggests: "window" },
    { typed: "redisurl", suggests: "redis-url" },
    { typed: "exclude-bot", suggests: "exclude-bots" },
    { typed: "userAgent", suggests: "user-agent" },
    { typed: "sever", suggests: "server" },
    { typed: "no-resum", suggests: "no-resume" },
    { typed: "xyz", suggests: undefined },
    { typed: "give-up", suggests: undefined },
    { typed: "w", suggests: undefined },
  ].map((row) => ({ ...row, shown: row.suggests ?? "nothing" })))("'$typed' → $shown", ({ typed, suggests }) => {
    expect(suggestFlag(typed, names)).toBe(suggests);
  });
});

describe("readArgv: refusals", () => {
  test.each([
    { argv: ["--windw", "30s"], says: "unknown flag '--windw': did you mean --window?" },
    { argv: ["--exclude-bot"], says: "unknown flag '--exclude-bot': did you mean --exclude-bots?" },
    { argv: ["--frobnicate"], says: "unknown flag '--frobnicate'" },
    { argv: ["-x"], says: "unknown flag '-x'" },
    { argv: ["--h"], says: "unknown flag '--h'" },
    { argv: ["--window"], says: "--window needs a value: DUR" },
    { argv: ["--window", "--quiet"], says: "--window needs a value: DUR" },
    { argv: ["--server", "--type", "edit"], says: "--server needs a value: GLOB" },
    { argv: ["--quiet=yes"], says: "--quiet takes no value" },
    { argv: ["count"], says: "unexpected argument 'count': wikistream takes only flags" },
    { argv: ["--quiet", "extra"], says: "unexpected argument 'extra': wikistream takes only flags" },
    { argv: ["--", "--window"], says: "unexpected argument '--window': wikistream takes only flags" },
  ])("$argv → $says", ({ argv, says }) => {
    expect(refusal(() => readArgv(argv, FLAGS))).toBe(says);
  });
});

describe("readArgv: raw values", () => {
  test.each([
    { argv: ["--window", "2m"], raw: [["window", ["2m"]]] },
    { argv: ["--window=2m"], raw: [["window", ["2m"]]] },
    { argv: ["--prefix", ""], raw: [["prefix", [""]]] },
    { argv: ["--prefix="], raw: [["prefix", [""]]] },
    { argv: ["--prefix", "-x"], raw: [["prefix", ["-x"]]] }, // one dash is a value
    { argv: ["--prefix=--x"], raw: [["prefix", ["--x"]]] }, // after = anything is the value
    { argv: ["--server", "a", "--server=b"], raw: [["server", ["a", "b"]]] },
    { argv: ["--window", "1m", "--window", "2m"], raw: [["window", ["1m", "2m"]]] },
    { argv: ["--quiet"], raw: [["quiet", true]] },
    { argv: ["--quiet=true"], raw: [["quiet", true]] },
    { argv: ["--quiet=1"], raw: [["quiet", true]] },
    { argv: ["--quiet=false"], raw: [["quiet", false]] },
    { argv: ["--quiet=0"], raw: [["quiet", false]] },
    { argv: ["-h"], raw: [["help", true]] },
    { argv: ["--no-resume", "--exclude-bots"], raw: [["no-resume", true], ["exclude-bots", true]] },
    { argv: [], raw: [] },
  ])("$argv", ({ argv, raw }) => {
    expect([...readArgv(argv, FLAGS)]).toEqual(raw as never);
  });
});

describe("resolveFlags: flag beats environment beats default", () => {
  test.each([
    { name: "default", argv: [], env: {}, flag: "window", value: 30_000 },
    { name: "environment over default", argv: [], env: { WIKISTREAM_WINDOW: "2m" }, flag: "window", value: 120_000 },
    { name: "flag over environment", argv: ["--window=1m"], env: { WIKISTREAM_WINDOW: "2m" }, flag: "window", value: 60_000 },
    { name: "an empty env value is no value", argv: [], env: { WIKISTREAM_WINDOW: "" }, flag: "window", value: 30_000 },
    { name: "the last of a repeated flag", argv: ["--window", "1m", "--window", "2m"], env: {}, flag: "window", value: 120_000 },
    { name: "no default: undefined", argv: [], env: {}, flag: "since", value: undefined },
    { name: "an empty prefix", argv: ["--prefix", ""], env: { WIKISTREAM_PREFIX: "env:" }, flag: "prefix", value: "" },
    { name: "the default prefix", argv: [], env: {}, flag: "prefix", value: "wikistream:" },
    { name: "a boolean off by default", argv: [], env: {}, flag: "exclude-bots", value: false },
    { name: "a boolean flag", argv: ["--exclude-bots"], env: {}, flag: "exclude-bots", value: true },
    { name: "a boolean flag =0 beats env", argv: ["--exclude-bots=0"], env: { WIKISTREAM_EXCLUDE_BOTS: "1" }, flag: "exclude-bots", value: false },
    ...["1", "true", "TRUE", "yes", "on"].map((v) => ({ name: `env ${v} switches on`, argv: [], env: { WIKISTREAM_EXCLUDE_BOTS: v }, flag: "exclude-bots", value: true })),
    ...["0", "false", "no", "off", ""].map((v) => ({ name: `env '${v}' leaves off`, argv: [], env: { WIKISTREAM_EXCLUDE_BOTS: v }, flag: "exclude-bots", value: false })),
  ])("$name", ({ argv, env, flag, value }) => {
    expect(resolve(argv, env)[flag]).toEqual(value);
  });

  const globs = (values: unknown) => (values as { glob: string }[]).map((s) => s.glob);
  test.each([
    { name: "repeated flags", argv: ["--server", "*.wikipedia.org", "--server=www.wikidata.org"], env: {}, servers: ["*.wikipedia.org", "www.wikidata.org"] },
    { name: "env, comma-separated, blanks dropped", argv: [], env: { WIKISTREAM_SERVER: " a.org, ,b.org," }, servers: ["a.org", "b.org"] },
    { name: "flags replace the env list", argv: ["--server", "c.org"], env: { WIKISTREAM_SERVER: "a.org,b.org" }, servers: ["c.org"] },
    { name: "neither: empty", argv: [], env: {}, servers: [] },
  ])("list: $name", ({ argv, env, servers }) => {
    expect(globs(resolve(argv, env).server)).toEqual([...servers]);
  });

  test.each([
    { argv: [], env: { WIKISTREAM_WINDOW: "soon" }, says: "--window 'soon' is not a duration: use 30, 30s, 2m or 1h (see wikistream --help) (from WIKISTREAM_WINDOW)" },
    { argv: [], env: { WIKISTREAM_TYPE: "Edit" }, says: "--type 'Edit' is not a change type: use edit, new, log, categorize, external (lower case) (see wikistream --help) (from WIKISTREAM_TYPE)" },
    { argv: [], env: { REDIS_URL: "localhost:6379" }, says: "--redis-url must start with redis: or rediss: (or redis+sentinel:, redis+cluster:), got localhost: (see wikistream --help) (from REDIS_URL)" },
    { argv: [], env: { WIKISTREAM_SERVER: "a,,b", WIKISTREAM_MAX_EVENT_BYTES: "12" }, says: "--max-event-bytes '12' must be a size of at least 1024 bytes, e.g. 1MiB (see wikistream --help) (from WIKISTREAM_MAX_EVENT_BYTES)" },
    { argv: ["--window", "soon"], env: {}, says: "--window 'soon' is not a duration: use 30, 30s, 2m or 1h (see wikistream --help)" },
    { argv: [], env: { WIKISTREAM_EXCLUDE_BOTS: "enabled" }, says: "--exclude-bots: WIKISTREAM_EXCLUDE_BOTS='enabled' is neither on nor off: use 1 or 0 (true/false, yes/no, on/off also work) (see wikistream --help)" },
  ])("a bad value names where it came from: $says", ({ argv, env, says }) => {
    let caught: unknown;
    try {
      resolve(argv, env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WikistreamError);
    expect((caught as WikistreamError).type).toBe("usage");
    expect((caught as WikistreamError).message).toBe(says);
  });

  test("a bad env value is not read when the flag is given", () => {
    expect(resolve(["--window", "1m"], { WIKISTREAM_WINDOW: "soon" }).window).toBe(60_000);
  });
});
