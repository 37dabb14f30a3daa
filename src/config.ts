import type { ArgsDef } from "citty";
import { parseDuration, parseTime } from "./duration.ts";
import { WikistreamError } from "./error.ts";
import { REPOSITORY_URL, VERSION } from "./version.ts";

/** The public EventStreams endpoint for recent changes. */
export const DEFAULT_URL = "https://stream.wikimedia.org/v2/stream/recentchange";

/** Every flag wikistream knows. `cli.ts` hands this to citty; `resolveConfig` checks raw args against it. */
export const argsDef = {
  url: { type: "string", valueHint: "URL", description: `SSE endpoint (env WIKISTREAM_URL; default ${DEFAULT_URL})` },
  "redis-url": {
    type: "string",
    valueHint: "URL",
    description: "redis://[user:pass@]host:port[/db] or rediss://… (env REDIS_URL); without it windows go to stdout",
  },
  "redis-ca": { type: "string", valueHint: "FILE", description: "PEM CA bundle to trust for rediss:// (env WIKISTREAM_REDIS_CA)" },
  window: { type: "string", valueHint: "DUR", description: "window length: 30, 30s, 2m (env WIKISTREAM_WINDOW; default 30s)" },
  lateness: {
    type: "string",
    valueHint: "DUR",
    description: "how far behind the newest event time an event may arrive and still count (env WIKISTREAM_LATENESS; default 60s)",
  },
  prefix: { type: "string", valueHint: "STR", description: "prefix for every Redis key (env WIKISTREAM_PREFIX; default empty)" },
  since: { type: "string", valueHint: "TIME", description: "start from history: ISO 8601 or Unix s/ms (env WIKISTREAM_SINCE; default live)" },
  until: {
    type: "string",
    valueHint: "TIME",
    description: "exit 0 once every window starting before TIME is final and written (env WIKISTREAM_UNTIL)",
  },
  resume: {
    type: "boolean",
    default: true,
    description: "resume from the position saved in Redis",
    negativeDescription: "ignore the position saved in Redis and start afresh",
  },
  "idle-timeout": {
    type: "string",
    valueHint: "DUR",
    description: "reconnect when no bytes arrive for this long (env WIKISTREAM_IDLE_TIMEOUT; default 30s)",
  },
  type: { type: "string", valueHint: "LIST", description: "count only these change types, e.g. edit,new (env WIKISTREAM_TYPE)" },
  "exclude-bots": { type: "boolean", description: "do not count changes flagged bot (env WIKISTREAM_EXCLUDE_BOTS=1)" },
  server: {
    type: "string",
    valueHint: "GLOB",
    description: "count only server_name matching GLOB, e.g. *.wikipedia.org; repeatable (env WIKISTREAM_SERVER, comma-separated)",
  },
  "user-agent": { type: "string", valueHint: "STR", description: "User-Agent header (env WIKISTREAM_USER_AGENT; default wikistream/<version> (+<repo>))" },
  format: { type: "string", valueHint: "text|jsonl", description: "stdout format (env WIKISTREAM_FORMAT; default text on a terminal, jsonl otherwise)" },
  "max-event-bytes": {
    type: "string",
    valueHint: "N",
    description: "skip (and count) events larger than N bytes; 512KiB, 1MiB also work (env WIKISTREAM_MAX_EVENT_BYTES; default 1MiB)",
  },
  verbose: { type: "boolean", description: "log every reconnect and write, show stacks on errors" },
  quiet: { type: "boolean", description: "log errors only" },
  help: { type: "boolean", alias: "h", description: "show this help" },
  version: { type: "boolean", description: "print the version and build commit" },
} as const satisfies ArgsDef;

/** Output format of the stdout sink. */
export type OutputFormat = "text" | "jsonl";

/** Everything a run needs, validated; times and durations in milliseconds. */
export interface Config {
  url: string;
  redisUrl: string | undefined;
  redisCaFile: string | undefined;
  windowMs: number;
  latenessMs: number;
  prefix: string;
  sinceMs: number | undefined;
  untilMs: number | undefined;
  resume: boolean;
  idleTimeoutMs: number;
  types: ReadonlySet<string> | undefined;
  excludeBots: boolean;
  servers: readonly RegExp[];
  userAgent: string;
  format: OutputFormat;
  maxEventBytes: number;
  verbose: boolean;
  quiet: boolean;
}

type FlagName = keyof typeof argsDef;
type RawValues = Partial<Record<FlagName, string[] | boolean>>;

const FLAG_NAMES = new Set<string>(Object.keys(argsDef));
const ALIASES = new Map<string, FlagName>([["h", "help"]]);

/** The User-Agent sent when none is given; Wikimedia refuses anonymous clients. */
export function createDefaultUserAgent(): string {
  return `wikistream/${VERSION} (+${REPOSITORY_URL})`;
}

function usage(message: string): WikistreamError {
  return new WikistreamError("usage", `${message} (see wikistream --help)`);
}

/**
 * Splits raw argv into flag values, rejecting unknown flags and missing values.
 * citty accepts anything, so this is where typos are caught.
 */
export function parseRawArgs(rawArgs: readonly string[]): RawValues {
  const values: RawValues = {};
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] ?? "";
    if (!arg.startsWith("-") || arg === "-") throw usage(`unexpected argument '${arg}': wikistream takes only flags`);
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    let name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    let negated = false;
    if (name.startsWith("no-") && !FLAG_NAMES.has(name)) {
      negated = true;
      name = name.slice(3);
    }
    const flag = (ALIASES.get(name) ?? name) as FlagName;
    if (!FLAG_NAMES.has(flag) || (arg.startsWith("--") ? name.length < 2 : name.length !== 1)) {
      throw usage(`unknown flag '${arg.split("=")[0]}'`);
    }
    const def = argsDef[flag];
    if (def.type === "boolean") {
      if (inline !== undefined && !/^(true|false|1|0)$/.test(inline)) throw usage(`--${flag} takes no value`);
      const on = inline === undefined ? true : inline === "true" || inline === "1";
      values[flag] = negated ? !on : on;
      continue;
    }
    if (negated) throw usage(`unknown flag '${arg}'`);
    let value = inline;
    if (value === undefined) {
      const next = rawArgs[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw usage(`--${flag} needs a value: ${def.valueHint}`);
      value = next;
      i++;
    }
    const list = values[flag];
    values[flag] = Array.isArray(list) ? [...list, value] : [value];
  }
  return values;
}

function lastString(values: RawValues, flag: FlagName): string | undefined {
  const list = values[flag];
  return Array.isArray(list) ? list[list.length - 1] : undefined;
}

function pick(values: RawValues, flag: FlagName, env: Record<string, string | undefined>, envName: string): string | undefined {
  const fromFlag = lastString(values, flag);
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function resolveDuration(text: string | undefined, flag: string, fallbackMs: number, minMs: number): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined) throw usage(`--${flag} '${text}' is not a duration: use 30, 30s, 2m or 1h`);
  if (ms < minMs) throw usage(`--${flag} must be at least ${minMs}ms, got '${text}'`);
  return ms;
}

function resolveTime(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseTime(text);
  if (ms === undefined) throw usage(`--${flag} '${text}' is not a time: use ISO 8601 (2026-11-26T10:00:00Z) or Unix seconds`);
  return ms;
}

function resolveUrl(text: string, flag: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage(`--${flag} is not a URL: expected ${protocols.map((p) => `${p}//host…`).join(" or ")}`);
  }
  if (!protocols.includes(url.protocol)) throw usage(`--${flag} must start with ${protocols.join(" or ")}, got ${url.protocol}`);
  return text;
}

function resolveBytes(text: string | undefined): number {
  if (text === undefined) return 1024 * 1024;
  const match = /^\s*(\d+)\s*(B|KiB|MiB|K|M|KB|MB)?\s*$/i.exec(text);
  const unit = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1048576, mb: 1048576, mib: 1048576 }[(match?.[2] ?? "b").toLowerCase()];
  const bytes = match && unit ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024) throw usage(`--max-event-bytes '${text}' must be a size of at least 1024 bytes, e.g. 1MiB`);
  return bytes;
}

/** Turns a shell-style glob (`*`, `?`) into an anchored, case-insensitive RegExp. */
export function parseGlob(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i");
}

function isFlagOn(values: RawValues, flag: FlagName, env: Record<string, string | undefined>, envName?: string): boolean {
  const value = values[flag];
  if (typeof value === "boolean") return value;
  const fromEnv = envName ? env[envName] : undefined;
  return fromEnv !== undefined && /^(1|true|yes|on)$/i.test(fromEnv);
}

/**
 * Maps raw argv and the environment to a validated Config. Flag beats env beats default.
 * Throws a `usage` WikistreamError that names the flag and the expected form.
 */
export function resolveConfig(
  rawArgs: readonly string[],
  env: Record<string, string | undefined> = process.env,
  stdoutIsTTY: boolean = process.stdout.isTTY === true,
): Config {
  const values = parseRawArgs(rawArgs);
  const url = resolveUrl(pick(values, "url", env, "WIKISTREAM_URL") ?? DEFAULT_URL, "url", ["http:", "https:"]);
  const redisText = pick(values, "redis-url", env, "REDIS_URL");
  const redisUrl = redisText === undefined ? undefined : resolveUrl(redisText, "redis-url", ["redis:", "rediss:"]);
  const redisCaFile = pick(values, "redis-ca", env, "WIKISTREAM_REDIS_CA");
  if (redisCaFile !== undefined && !redisUrl?.startsWith("rediss:")) throw usage("--redis-ca needs a rediss:// --redis-url");

  const windowMs = resolveDuration(pick(values, "window", env, "WIKISTREAM_WINDOW"), "window", 30_000, 1000);
  if (windowMs % 1000 !== 0) throw usage(`--window must be whole seconds, got ${windowMs}ms`);
  const latenessMs = resolveDuration(pick(values, "lateness", env, "WIKISTREAM_LATENESS"), "lateness", 60_000, 0);
  const idleTimeoutMs = resolveDuration(pick(values, "idle-timeout", env, "WIKISTREAM_IDLE_TIMEOUT"), "idle-timeout", 30_000, 100);

  const prefix = pick(values, "prefix", env, "WIKISTREAM_PREFIX") ?? "";
  if (!/^[A-Za-z0-9_.:\-/{}]{0,100}$/.test(prefix)) {
    throw usage(`--prefix '${prefix}' may use only letters, digits and _ . : - / { } (100 at most)`);
  }

  const sinceMs = resolveTime(pick(values, "since", env, "WIKISTREAM_SINCE"), "since");
  const untilMs = resolveTime(pick(values, "until", env, "WIKISTREAM_UNTIL"), "until");
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) throw usage("--until must be later than --since");

  const typeText = pick(values, "type", env, "WIKISTREAM_TYPE");
  const types = typeText === undefined ? undefined : new Set(typeText.split(",").map((t) => t.trim()).filter(Boolean));
  if (types && types.size === 0) throw usage("--type needs at least one type, e.g. edit,new,log,categorize");

  const serverList = values.server;
  const serverGlobs = Array.isArray(serverList) ? serverList : (env.WIKISTREAM_SERVER ?? "").split(",");
  const servers = serverGlobs.map((g) => g.trim()).filter(Boolean).map(parseGlob);

  const formatText = pick(values, "format", env, "WIKISTREAM_FORMAT") ?? (stdoutIsTTY ? "text" : "jsonl");
  if (formatText !== "text" && formatText !== "jsonl") throw usage(`--format must be text or jsonl, got '${formatText}'`);

  const verbose = isFlagOn(values, "verbose", env);
  const quiet = isFlagOn(values, "quiet", env);
  if (verbose && quiet) throw usage("--verbose and --quiet exclude each other");

  const userAgent = pick(values, "user-agent", env, "WIKISTREAM_USER_AGENT") ?? createDefaultUserAgent();
  if (!/^[\x20-\x7e]+$/.test(userAgent)) throw usage("--user-agent must be printable ASCII");

  return {
    url,
    redisUrl,
    redisCaFile,
    windowMs,
    latenessMs,
    prefix,
    sinceMs,
    untilMs,
    resume: values.resume !== false,
    idleTimeoutMs,
    types,
    excludeBots: isFlagOn(values, "exclude-bots", env, "WIKISTREAM_EXCLUDE_BOTS"),
    servers,
    userAgent,
    format: formatText,
    maxEventBytes: resolveBytes(pick(values, "max-event-bytes", env, "WIKISTREAM_MAX_EVENT_BYTES")),
    verbose,
    quiet,
  };
}

/** Shows a Redis URL without its password, for logs and errors. */
export function formatRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    // ioredis also takes a password from the query (`?password=`).
    for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, "***");
    return url.toString();
  } catch {
    return "(invalid Redis URL)";
  }
}
