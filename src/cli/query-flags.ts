/**
 * The flag tables of `wikistream top`, `read` and `tail`, the commands that read windows
 * back from Redis. A flag they share with the counting run is the same entry of FLAGS (its
 * environment variable, hint and validation declared once); only words that would be wrong
 * for a reader (redis-url's "write windows to", its stdout default) are said anew.
 */
import type { HelpHeader } from "./help.ts";
import { FLAGS, flag, type ValuesOf } from "./flags.ts";
import { ROLLUP_LEVELS, type RollupLevel } from "../sink/redis/keys.ts";
import { parseGlob, parseTimeFlag, usage } from "./values.ts";
import { FIELD_NAMES } from "../event/dimension.ts";
import { parseViewFlag } from "./views.ts";

/** Most windows one `top` reads: ten hours of 30 s windows (longer spans are `read`'s job). */
export const MAX_TOP_WINDOWS = 1200;

/** A whole number of windows, 1 to MAX_TOP_WINDOWS. */
export function parseWindowCount(value: string, label: string): number {
  const n = /^\s*\d{1,6}\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_TOP_WINDOWS)) throw usage(`${label} must be a whole number of windows from 1 to ${MAX_TOP_WINDOWS}, got '${value}'`);
  return n;
}

/** `window` (undefined: the windows as written) or a rollup level's name. */
export function parseResolution(value: string, label: string): RollupLevel | undefined {
  if (value === "window") return undefined;
  const level = ROLLUP_LEVELS.find((l) => l.name === value);
  if (level === undefined) throw usage(`${label} '${value}' is not a resolution: use window, ${ROLLUP_LEVELS.map((l) => l.name).join(" or ")}`);
  return level;
}

const CONNECTION = {
  "redis-url": { ...FLAGS["redis-url"], defaultHelp: undefined, help: "the Redis to read windows from, any form the counting run takes; required" },
  prefix: FLAGS.prefix,
  "redis-ca": FLAGS["redis-ca"],
} as const;

const SHARED = {
  ...CONNECTION,
  by: flag({
    kind: "string",
    hint: "LIST",
    defaultHelp: "the main view",
    help: "the view to show: a --by LIST the counting run was given (its layout key lists them)",
    values: FIELD_NAMES,
    parse: (t, l) => parseViewFlag(t, l).name,
  }),
  resolution: flag({
    kind: "string",
    hint: "SPAN",
    default: "window",
    help: "window, or 1h or 1d: the hourly or daily sums the counting run keeps with --rollup",
    values: ["window", ...ROLLUP_LEVELS.map((l) => l.name)],
    parse: parseResolution,
  }),
} as const;

const LOGGING = {
  verbose: { ...FLAGS.verbose, help: "say more (each Redis reconnect); stacks on errors" },
  quiet: FLAGS.quiet,
  help: FLAGS.help,
} as const;

/** Every flag of `wikistream top`. Order is the order of its --help. */
export const TOP_FLAGS = {
  ...SHARED,
  windows: flag({ kind: "string", hint: "N", default: "20", help: "how many windows the sparklines (and --json) cover", parse: parseWindowCount }),
  watch: flag({ kind: "boolean", help: "redraw as windows land (looks once a second)", parse: () => true }),
  all: flag({ kind: "boolean", help: "every wiki of the newest window, not just the top 10", parse: () => true }),
  json: flag({ kind: "boolean", help: 'print {"windows":[…]} (oldest first) instead of the table; a line per redraw with --watch', parse: () => true }),
  ...LOGGING,
} as const;

/** Every flag of `wikistream read`. Order is the order of its --help. */
export const READ_FLAGS = {
  ...SHARED,
  from: flag({ kind: "string", hint: "TIME", help: "the first window start to print: ISO 8601 or Unix time; required", parse: parseTimeFlag }),
  to: flag({ kind: "string", hint: "TIME", defaultHelp: "now", help: "print windows that start before TIME", parse: parseTimeFlag }),
  // Not the counting run's --server: that one filters what is counted (and reads
  // WIKISTREAM_SERVER, which must not narrow a reader behind its back).
  server: flag({ kind: "list", hint: "GLOB", defaultHelp: "all", help: "print only server_names matching GLOB (*, ?); repeatable", parse: (t) => ({ glob: t, pattern: parseGlob(t) }) }),
  json: flag({ kind: "boolean", help: 'print {"windows":[…]}, oldest first', parse: () => true }),
  csv: flag({ kind: "boolean", help: "print CSV: start,end,<the view's fields>,count,incomplete,final", parse: () => true }),
  ...LOGGING,
} as const;

/** A consumer group or consumer name: what Redis takes, without spaces or control characters. */
export function parseStreamName(value: string, label: string): string {
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) throw usage(`${label} '${value}' must be 1 to 200 printable characters without spaces`);
  return value;
}

/** Every flag of `wikistream tail`. Order is the order of its --help. */
export const TAIL_FLAGS = {
  ...CONNECTION,
  from: flag({ kind: "string", hint: "TIME", defaultHelp: "the next final window", help: "start with the first window that starts at or after TIME: ISO 8601 or Unix time", parse: parseTimeFlag }),
  group: flag({ kind: "string", hint: "NAME", defaultHelp: "none", help: "read as a member of this consumer group, acking what is printed (made at --from, or the next window)", parse: parseStreamName }),
  consumer: flag({ kind: "string", hint: "NAME", defaultHelp: "the host's name", help: "this reader's name in --group: keep it across restarts", parse: parseStreamName }),
  json: flag({ kind: "boolean", help: "print each window as a JSON line instead of the table", parse: () => true }),
  all: flag({ kind: "boolean", help: "every wiki of each window in the table, not just the top 10", parse: () => true }),
  ...LOGGING,
} as const;

/** What --help shows above the flags of `tail`. */
export const TAIL_HELP: HelpHeader = {
  description:
    "Follows the feed of final windows (the counting run's --feed): each window printed once, in order, as it becomes final, as a table or a JSON line. With --group, a member of a Redis consumer group: a restart goes on where the group left off.",
  usage: ["wikistream tail [--from TIME] [--json]", "wikistream tail --group NAME [--consumer NAME] [--json]"],
};

/** What --help shows above the flags of `top`. */
export const TOP_HELP: HelpHeader = {
  description:
    "The newest window in Redis as a table of its busiest wikis, with a sparkline per wiki over the last windows (a space: nothing that window; ^ marks windows known to miss events). Reads only; any number may run beside the writer.",
  usage: ["wikistream top [--windows N] [--watch] [--all] [--json]", "wikistream top --resolution 1h|1d"],
};

/** What --help shows above the flags of `read`. */
export const READ_HELP: HelpHeader = {
  description:
    "The windows stored in Redis that start in [--from, --to), oldest first: a line each, CSV (a row per wiki per window; a window with nothing counted is one row with an empty server_name and count 0) or JSON. Reads only.",
  usage: ["wikistream read --from TIME [--to TIME] [--server GLOB] [--csv|--json]", "wikistream read --from TIME --resolution 1h|1d"],
};

/** The values of `top`'s flags. */
export type TopValues = ValuesOf<typeof TOP_FLAGS>;
/** The values of `read`'s flags. */
export type ReadValues = ValuesOf<typeof READ_FLAGS>;
/** The values of `tail`'s flags. */
export type TailValues = ValuesOf<typeof TAIL_FLAGS>;
