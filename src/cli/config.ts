/**
 * Flags + environment → a validated Config: pure (argv, env and whether stdout is a terminal
 * come in as arguments), so every rule is a row of a table test.
 */
import type { ViewSpec } from "../event/dimension.ts";
import { formatDuration } from "../lib/duration.ts";
import { FLAGS, type FlagValues } from "./flags.ts";
import { resolveFlagSources } from "./parse.ts";
import { usage, type ListenAddress } from "./values.ts";
import { resolveViews } from "./views.ts";

/**
 * Rollup levels, smallest first, as the --rollup flag reads them: named through the flag table,
 * so that the config imports nothing from sink/ (the sink is chosen by URL in sink/registry.ts).
 */
type RollupLevels = NonNullable<FlagValues["rollup"]>;

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
  /** Events dated more than this past the wall clock are skipped as `future`. */
  maxAheadMs: number;
  resume: boolean;
  idleTimeoutMs: number;
  types: ReadonlySet<string> | undefined;
  excludeBots: boolean;
  servers: readonly RegExp[];
  /** What is counted (--by): the main view first. */
  views: readonly ViewSpec[];
  userAgent: string;
  /** How windows are printed without a sink URL. */
  format: NonNullable<FlagValues["format"]>;
  maxEventBytes: number;
  giveUpAfterMs: number | undefined;
  /** How long window keys live after their end, in event time (0: for ever). */
  retainMs: number;
  /** Rollup levels to keep, smallest first (none: empty). */
  rollups: RollupLevels;
  rollupRetainMs: number;
  /** Append each final window to the Redis Stream {prefix}feed. */
  feed: boolean;
  /** Wait for another instance's lock and take over when it expires, instead of exiting. */
  standby: boolean;
  lockTtlMs: number;
  /** Accept a Redis whose maxmemory-policy evicts keys with a time to live (volatile-*). */
  allowEviction: boolean;
  /** Where to serve metrics, health and the live page; undefined: nowhere. */
  listen: ListenAddress | undefined;
  logFormat: "text" | "json";
  /** The filters as typed, for messages (`--type 'foo' --server 'x*'`); "" when none. */
  filterDescription: string;
  verbose: boolean;
  quiet: boolean;
}

/** The filters as a person typed them, for the warning when they let nothing through. */
function describeFilters(f: FlagValues, serverGlobs: readonly string[]): string {
  const parts: string[] = [];
  if (f.type !== undefined) parts.push(`--type '${[...f.type].join(",")}'`);
  for (const glob of serverGlobs) parts.push(`--server '${glob}'`);
  if (f["exclude-bots"]) parts.push("--exclude-bots");
  return parts.join(" ");
}

/** The prefix in a Redis Cluster when none is given: a hash tag puts every key of it in one slot. */
const DEFAULT_CLUSTER_PREFIX = "{wikistream}:";

/**
 * In a Redis Cluster every key of a prefix must hash to one slot, so that each write stays one
 * script on one node: the prefix needs a hash tag (`{…}`). The default gets one; a given
 * prefix without one is refused with the fix.
 */
export function resolveClusterPrefix(prefix: string, redisUrl: string | undefined, given: boolean): string {
  if (!redisUrl || !/^rediss?\+cluster:/.test(redisUrl)) return prefix;
  if (!given) return DEFAULT_CLUSTER_PREFIX;
  // As Redis reads a hash tag: the first "{", then at least one character before the next "}".
  if (/^[^{]*\{[^}]+\}/.test(prefix)) return prefix;
  const bare = prefix.replace(/[{}]/g, "");
  const fix = bare === "" ? DEFAULT_CLUSTER_PREFIX : `{${bare.replace(/[:/.-]+$/, "")}}${bare.match(/[:/.-]+$/)?.[0] ?? ":"}`;
  throw usage(`--prefix '${prefix}' has no hash tag: in a Redis Cluster all keys of a prefix must share one slot; use --prefix '${fix}'`);
}

/**
 * A rollup level is rebuilt from the level below it (the first from the windows), whose keys
 * must tile its period and still be there when it is final: a window length that divides the
 * hour, and retentions that outlast each period plus the lateness and one span of the level
 * below.
 */
function checkRollups(rollups: RollupLevels, windowMs: number, latenessMs: number, retainMs: number, rollupRetainMs: number): void {
  const first = rollups[0];
  if (first === undefined) return;
  if ((first.seconds * 1000) % windowMs !== 0) {
    throw usage(`--window ${formatDuration(windowMs)} does not divide an hour, so its windows cannot make up the --rollup sums: use a window that does (10s, 15s, 30s, 1m, 5m, …)`);
  }
  const roundUp = (ms: number) => formatDuration(Math.ceil(ms / 86_400_000) * 86_400_000);
  const windowsNeedMs = first.seconds * 1000 + latenessMs + windowMs;
  if (retainMs > 0 && retainMs < windowsNeedMs) {
    throw usage(`--retain ${formatDuration(retainMs)} is shorter than the ${first.name} rollup needs (its windows must outlive it: ${formatDuration(windowsNeedMs)} with --lateness): use --retain ${roundUp(windowsNeedMs)} or 0`);
  }
  for (let i = 1; i < rollups.length; i++) {
    const level = rollups[i];
    const below = rollups[i - 1];
    if (level === undefined || below === undefined) continue;
    const needMs = level.seconds * 1000 + latenessMs + below.seconds * 1000;
    if (rollupRetainMs > 0 && rollupRetainMs < needMs) {
      throw usage(`--retain-rollup ${formatDuration(rollupRetainMs)} is shorter than the ${level.name} rollup needs (its ${below.name} sums must outlive it: ${formatDuration(needMs)} with --lateness): use --retain-rollup ${roundUp(needMs)} or 0`);
    }
  }
}

/**
 * Refuses a --since older than the retention: every window it would write would expire as it is
 * written. Uses the wall clock, so it is checked where the run starts, not in resolveConfig.
 */
export function checkSinceAgainstRetention(config: Pick<Config, "sinceMs" | "retainMs" | "redisUrl" | "rollups" | "rollupRetainMs">, nowMs: number): void {
  const since = config.sinceMs;
  if (config.redisUrl === undefined || since === undefined) return;
  const at = new Date(since).toISOString();
  if (config.retainMs > 0 && since < nowMs - config.retainMs) {
    throw usage(`--since ${at} is older than --retain ${formatDuration(config.retainMs)}: its windows would expire as soon as written. Add --retain 0 to keep them (or a longer --retain)`);
  }
  if (config.rollups.length > 0 && config.rollupRetainMs > 0 && since < nowMs - config.rollupRetainMs) {
    throw usage(`--since ${at} is older than --retain-rollup ${formatDuration(config.rollupRetainMs)}: its rollups would expire as soon as written. Add --retain-rollup 0 to keep them`);
  }
}

/**
 * Refuses a --since later than now plus --max-ahead (a mistyped year): the server would answer it
 * with the present, which the run would count as if it were that history.
 */
export function checkSinceNotAhead(config: Pick<Config, "sinceMs" | "maxAheadMs">, nowMs: number): void {
  if (config.sinceMs === undefined || config.sinceMs <= nowMs + config.maxAheadMs) return;
  throw usage(`--since ${new Date(config.sinceMs).toISOString()} is in the future (this host's clock says ${new Date(nowMs).toISOString()}): give a past time, or leave --since out to start live`);
}

/** Flags only a run into Redis uses: on the command line of a run that prints, they would do nothing. */
const REDIS_ONLY_FLAGS = ["prefix", "no-resume", "retain", "rollup", "retain-rollup", "feed", "standby", "lock-ttl", "allow-eviction"] as const;

/**
 * Refuses a Redis flag typed on the command line of a run without --redis-url. From the
 * environment it is left alone: an env file may serve runs of both kinds.
 */
function checkRedisOnlyFlags(typed: ReadonlySet<string>, redisUrl: string | undefined): void {
  if (redisUrl !== undefined) return;
  const idle = REDIS_ONLY_FLAGS.find((name) => typed.has(name));
  if (idle !== undefined) throw usage(`--${idle} does nothing without --redis-url (windows are printed, not stored): give --redis-url URL (or REDIS_URL), or leave --${idle} out`);
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
  const resolved = resolveFlagSources(rawArgs, env, FLAGS);
  const f = resolved.values as FlagValues;
  const redisUrl = f["redis-url"];
  if (f["redis-ca"] !== undefined && !redisUrl?.startsWith("rediss")) throw usage("--redis-ca needs a rediss:// --redis-url");
  checkRedisOnlyFlags(resolved.typed, redisUrl);
  checkRollups(f.rollup ?? [], f.window, f.lateness, f.retain, f["retain-rollup"]);
  const prefix = resolveClusterPrefix(f.prefix, redisUrl, resolved.typed.has("prefix") || resolved.fromEnv.has("prefix"));
  if (f.since !== undefined && f.until !== undefined && f.until <= f.since) throw usage("--until must be later than --since");
  if (f.verbose && f.quiet) throw usage("--verbose and --quiet exclude each other");
  return {
    url: f.url,
    redisUrl,
    redisCaFile: f["redis-ca"],
    windowMs: f.window,
    latenessMs: f.lateness,
    prefix,
    sinceMs: f.since,
    untilMs: f.until,
    maxAheadMs: f["max-ahead"],
    resume: !f["no-resume"],
    idleTimeoutMs: f["idle-timeout"],
    types: f.type,
    excludeBots: f["exclude-bots"],
    servers: f.server.map((s) => s.pattern),
    views: resolveViews(f.by),
    userAgent: f["user-agent"],
    format: f.format ?? (stdoutIsTTY ? "text" : "jsonl"),
    maxEventBytes: f["max-event-bytes"],
    giveUpAfterMs: f["give-up-after"],
    retainMs: f.retain,
    rollups: f.rollup ?? [],
    rollupRetainMs: f["retain-rollup"],
    feed: f.feed,
    standby: f.standby,
    lockTtlMs: f["lock-ttl"],
    allowEviction: f["allow-eviction"],
    listen: f.listen,
    logFormat: f["log-format"],
    filterDescription: describeFilters(f, f.server.map((s) => s.glob)),
    verbose: f.verbose,
    quiet: f.quiet,
  };
}
