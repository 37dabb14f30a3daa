/**
 * The one table of flags: each declared once with its kind, environment variable, default,
 * help line and validation. The parser (cli/parse.ts, mapped to a Config by cli/config.ts),
 * --help (cli/help.ts) and the README's option table (checked by tests/system/command/options.test.ts) all come
 * from here.
 */
import { REPOSITORY_URL, VERSION } from "../lib/version.ts";
import { ROLLUP_LEVELS } from "../sink/redis/keys.ts";
import { DEFAULT_VIEW, FIELD_NAMES } from "../event/dimension.ts";
import { parseViewFlag } from "./views.ts";
import { CHANGE_TYPES, parseBytes, parseChoice, parseListenAddress, parseRollups, parseDurationFlag, parseGlob, parseHttpUrl, parsePrefix, parseRedisUrlFlag, parseTimeFlag, parseTypes, parseUserAgent } from "./values.ts";

/** The public EventStreams endpoint for recent changes. */
export const DEFAULT_URL = "https://stream.wikimedia.org/v2/stream/recentchange";

/** Every key lives under this prefix unless told otherwise: our keys never mix with a user's own. */
export const DEFAULT_PREFIX = "wikistream:";

/** The User-Agent sent when none is given; Wikimedia refuses anonymous clients. */
export const DEFAULT_USER_AGENT = `wikistream/${VERSION} (+${REPOSITORY_URL})`;

/** How a flag takes its value. */
export type FlagKind = "string" | "boolean" | "list";

/** One flag. `T` is what its text turns into. */
export interface FlagSpec<T> {
  kind: FlagKind;
  /** Shown after the flag in --help: `--window DUR`. */
  hint?: string;
  /** The environment variable read when the flag is absent (a list: comma-separated, or see envSeparator). */
  env?: string;
  /** What separates a list's values in its environment variable when a value holds commas (`;` for --by). */
  envSeparator?: string;
  /** The text used when neither flag nor env gives one; parsed like a value the user typed. */
  default?: string;
  /** What --help says of the default when it is not the text itself ("stdout", "live"). */
  defaultHelp?: string;
  /** One short line for --help. */
  help: string;
  /** A one-letter alias. */
  short?: string;
  /** Every value it takes, when they are few: what shell completion offers (a LIST takes several, comma-separated). */
  values?: readonly string[];
  /** Turns one value into its setting; throws a `usage` WikistreamError naming `label`. */
  parse(text: string, label: string): T;
}

const text = (value: string) => value;
/** Declares a flag, keeping its exact type (which fields it has, what it parses to). */
export const flag = <const S extends FlagSpec<unknown>>(spec: S): S => spec;
const toggle = (help: string, env?: string) => flag({ kind: "boolean", help, env, parse: () => true });
/** The fields of a flag that takes one of `values`. */
const oneOf = <const C extends string>(values: readonly C[]) => ({ values, parse: (t: string, l: string) => parseChoice(t, l, values) });

/** Every flag of `wikistream` (the counting run). Order is the order of --help. */
export const FLAGS = {
  "redis-url": flag({
    kind: "string",
    hint: "URL",
    env: "REDIS_URL",
    defaultHelp: "print windows to stdout",
    help: "write windows to this Redis: redis://, rediss://, redis+sentinel://, redis+cluster://",
    parse: parseRedisUrlFlag,
  }),
  prefix: flag({ kind: "string", hint: "STR", env: "WIKISTREAM_PREFIX", default: DEFAULT_PREFIX, help: "prefix of every Redis key ('' for none)", parse: parsePrefix }),
  window: flag({ kind: "string", hint: "DUR", env: "WIKISTREAM_WINDOW", default: "30s", help: "window length, whole seconds: 30s, 2m", parse: (t, l) => parseDurationFlag(t, l, { minMs: 1000, wholeSeconds: true }) }),
  lateness: flag({ kind: "string", hint: "DUR", env: "WIKISTREAM_LATENESS", default: "60s", help: "how late an event may arrive and still count", parse: (t, l) => parseDurationFlag(t, l, { minMs: 0 }) }),
  since: flag({ kind: "string", hint: "TIME", env: "WIKISTREAM_SINCE", defaultHelp: "live", help: "start from history: ISO 8601 or Unix time", parse: parseTimeFlag }),
  until: flag({ kind: "string", hint: "TIME", env: "WIKISTREAM_UNTIL", defaultHelp: "run forever", help: "write every window before TIME, then exit 0", parse: parseTimeFlag }),
  "max-ahead": flag({
    kind: "string",
    hint: "DUR",
    env: "WIKISTREAM_MAX_AHEAD",
    default: "10m",
    help: "skip (and count) events dated more than this past the clock",
    parse: (t, l) => parseDurationFlag(t, l, { minMs: 1000 }),
  }),
  "no-resume": toggle("ignore the position saved in Redis"),
  type: flag({ kind: "string", hint: "LIST", env: "WIKISTREAM_TYPE", defaultHelp: "all", help: `count only these change types: ${CHANGE_TYPES.join(",")}`, values: CHANGE_TYPES, parse: parseTypes }),
  server: flag({ kind: "list", hint: "GLOB", env: "WIKISTREAM_SERVER", defaultHelp: "all", help: "count only server_names matching GLOB; repeatable", parse: (t) => ({ glob: t, pattern: parseGlob(t) }) }),
  "exclude-bots": toggle("do not count changes flagged bot", "WIKISTREAM_EXCLUDE_BOTS"),
  by: flag({
    kind: "list",
    hint: "LIST",
    env: "WIKISTREAM_BY",
    envSeparator: ";",
    defaultHelp: DEFAULT_VIEW,
    help: `count by these fields (joined by commas); repeatable, the first is the main view: ${FIELD_NAMES.join(", ")}`,
    values: FIELD_NAMES,
    parse: parseViewFlag,
  }),
  format: flag({
    kind: "string",
    hint: "FMT",
    env: "WIKISTREAM_FORMAT",
    defaultHelp: "text on a terminal, else jsonl",
    help: "stdout format: text or jsonl",
    ...oneOf(["text", "jsonl"]),
  }),
  url: flag({ kind: "string", hint: "URL", env: "WIKISTREAM_URL", default: DEFAULT_URL, defaultHelp: "Wikimedia's", help: "the SSE endpoint to read", parse: parseHttpUrl }),
  "user-agent": flag({ kind: "string", hint: "STR", env: "WIKISTREAM_USER_AGENT", default: DEFAULT_USER_AGENT, defaultHelp: "wikistream/<version> (+<repo>)", help: "User-Agent header sent to the stream", parse: parseUserAgent }),
  "idle-timeout": flag({ kind: "string", hint: "DUR", env: "WIKISTREAM_IDLE_TIMEOUT", default: "30s", help: "reconnect after this long without data", parse: (t, l) => parseDurationFlag(t, l, { minMs: 100 }) }),
  "give-up-after": flag({
    kind: "string",
    hint: "DUR",
    env: "WIKISTREAM_GIVE_UP_AFTER",
    defaultHelp: "never",
    help: "exit 1 when nothing is read or written for this long",
    parse: (t, l) => parseDurationFlag(t, l, { minMs: 1000 }),
  }),
  "max-event-bytes": flag({ kind: "string", hint: "SIZE", env: "WIKISTREAM_MAX_EVENT_BYTES", default: "1MiB", help: "skip (and count) larger events", parse: parseBytes }),
  "redis-ca": flag({ kind: "string", hint: "FILE", env: "WIKISTREAM_REDIS_CA", defaultHelp: "system CAs", help: "PEM CA bundle to trust for rediss://", parse: text }),
  retain: flag({
    kind: "string",
    hint: "DUR",
    env: "WIKISTREAM_RETAIN",
    default: "30d",
    help: "window keys expire this long after their end; 0 keeps them",
    parse: (t, l) => parseDurationFlag(t, l, { minMs: 0 }),
  }),
  rollup: flag({
    kind: "string",
    hint: "LIST",
    env: "WIKISTREAM_ROLLUP",
    defaultHelp: "none",
    help: "also keep hourly and daily sums: 1h, 1d or 1h,1d",
    values: ROLLUP_LEVELS.map((l) => l.name),
    parse: parseRollups,
  }),
  "retain-rollup": flag({
    kind: "string",
    hint: "DUR",
    env: "WIKISTREAM_RETAIN_ROLLUP",
    default: "400d",
    help: "rollup keys expire this long after their end; 0 keeps them",
    parse: (t, l) => parseDurationFlag(t, l, { minMs: 0 }),
  }),
  feed: toggle("also append each final window to the Redis Stream {prefix}feed", "WIKISTREAM_FEED"),
  standby: toggle("wait for another instance's lock, then take over", "WIKISTREAM_STANDBY"),
  "allow-eviction": toggle("run on a Redis that evicts keys with a TTL (volatile-*)", "WIKISTREAM_ALLOW_EVICTION"),
  "lock-ttl": flag({
    kind: "string",
    hint: "DUR",
    env: "WIKISTREAM_LOCK_TTL",
    default: "15s",
    help: "how long the prefix's lock outlives its holder (takeover time)",
    parse: (t, l) => parseDurationFlag(t, l, { minMs: 1000 }),
  }),
  listen: flag({
    kind: "string",
    hint: "ADDR",
    env: "WIKISTREAM_LISTEN",
    defaultHelp: "off",
    help: "serve metrics, health and a live page at ADDR: :9464, 127.0.0.1:9464",
    parse: parseListenAddress,
  }),
  "log-format": flag({
    kind: "string",
    hint: "FMT",
    env: "WIKISTREAM_LOG_FORMAT",
    default: "text",
    help: "stderr lines: text, or json (one object a line)",
    ...oneOf(["text", "json"]),
  }),
  verbose: toggle("log every reconnect and write; stacks on errors"),
  quiet: toggle("log errors only"),
  help: { ...toggle("show this help"), short: "h" },
  version: toggle("print the version and build commit"),
} as const;

/** What one flag's text parses to. */
type Parsed<S> = S extends { parse(text: string, label: string): infer T } ? T : never;

/**
 * The parsed values of a flag table: a list for repeatable flags, a boolean for switches, and
 * undefined where nothing was given and there is no default.
 */
export type ValuesOf<T extends Record<string, FlagSpec<unknown>>> = {
  [K in keyof T]: T[K] extends { kind: "list" } ? Parsed<T[K]>[] : T[K] extends { kind: "boolean" } ? boolean : T[K] extends { default: string } ? Parsed<T[K]> : Parsed<T[K]> | undefined;
};

/** The value of every flag of the counting run after parsing. */
export type FlagValues = ValuesOf<typeof FLAGS>;
