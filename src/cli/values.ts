/** Validation of single flag values: each turns text into a setting or throws one usage line naming the flag. */
import { formatDuration, parseDuration, parseTime } from "../lib/duration.ts";
import { WikistreamError } from "../lib/error.ts";
import { ROLLUP_LEVELS, type RollupLevel } from "../sink/redis/keys.ts";
import { parseRedisTarget } from "../sink/redis/url.ts";

/** A usage error (exit 2) that points at --help. */
export function usage(message: string): WikistreamError {
  return new WikistreamError("usage", `${message} (see wikistream --help)`);
}

/**
 * The same error in the words of a command (`wikistream top`): the shared parser and the value
 * rules speak of `wikistream`; a command's own user is pointed at its own help.
 */
export function retargetUsage(error: WikistreamError, command: string): WikistreamError {
  const message = error.message.replace("wikistream takes only flags", `wikistream ${command} takes only flags`).replace("(see wikistream --help)", `(see wikistream ${command} --help)`);
  return new WikistreamError(error.type, message);
}

/** One of a fixed set of words. */
export function parseChoice<C extends string>(value: string, label: string, choices: readonly C[]): C {
  if ((choices as readonly string[]).includes(value)) return value as C;
  throw usage(`${label} must be ${choices.join(" or ")}, got '${value}'`);
}

/** A duration (`30`, `30s`, `2m`) of at least `minMs`, in milliseconds. */
export function parseDurationFlag(value: string, label: string, rules: { minMs: number; wholeSeconds?: boolean }): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw usage(`${label} '${value}' is not a duration: use 30, 30s, 2m or 1h`);
  if (ms < rules.minMs) throw usage(`${label} must be at least ${formatDuration(rules.minMs)}, got '${value}'`);
  if (rules.wholeSeconds && ms % 1000 !== 0) throw usage(`${label} must be whole seconds, got ${ms}ms`);
  return ms;
}

/** A point in time, in Unix milliseconds. */
export function parseTimeFlag(value: string, label: string): number {
  const ms = parseTime(value);
  if (ms === undefined) throw usage(`${label} '${value}' is not a time: use ISO 8601 (2026-11-26T10:00:00Z) or Unix seconds`);
  return ms;
}

function parseUrl(value: string, label: string, protocols: readonly string[], alsoTaken = ""): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${label} is not a URL: expected ${protocols.map((p) => `${p}//host…`).join(" or ")}`);
  }
  if (!protocols.includes(url.protocol)) throw usage(`${label} must start with ${protocols.join(" or ")}${alsoTaken}, got ${url.protocol}`);
  return value;
}

/** An http(s) URL, kept as typed. */
export function parseHttpUrl(value: string, label: string): string {
  return parseUrl(value, label, ["http:", "https:"]);
}

/**
 * A Redis URL (one server, Sentinel or Cluster; see sink/redis/url.ts), kept as typed but for
 * its scheme, in lower case (`REDIS+CLUSTER://` is a Cluster everywhere the URL is looked at).
 */
export function parseRedisUrlFlag(typed: string, label: string): string {
  const value = typed.replace(/^[a-z+]+:/i, (scheme) => scheme.toLowerCase());
  // Sentinel and Cluster URLs name several hosts, which the WHATWG URL parser does not take.
  if (!/^rediss?\+(sentinel|cluster):\/\//.test(value)) {
    parseUrl(value, label, ["redis:", "rediss:"], " (or redis+sentinel:, redis+cluster:)");
  }
  const target = parseRedisTarget(value);
  if (typeof target === "string") throw usage(`${label} ${target}`);
  return value;
}

/** Characters a key prefix may hold: what is safe in a shell and in redis-cli without quoting. */
const PREFIX_PATTERN = /^[A-Za-z0-9_.:\-/{}]{0,100}$/;

/** A Redis key prefix. */
export function parsePrefix(value: string, label: string): string {
  if (!PREFIX_PATTERN.test(value)) throw usage(`${label} '${value}' may use only letters, digits and _ . : - / { } (100 at most)`);
  return value;
}

/** The change types EventStreams' recentchange emits (mediawiki/recentchange schema, `type`). */
export const CHANGE_TYPES = ["edit", "new", "log", "categorize", "external"] as const;

/** A comma-separated list of change types, each one the service emits (a typo would count nothing). */
export function parseTypes(value: string, label: string): ReadonlySet<string> {
  const types = new Set(value.split(",").map((t) => t.trim()).filter(Boolean));
  if (types.size === 0) throw usage(`${label} needs at least one type: ${CHANGE_TYPES.join(", ")}`);
  const known: readonly string[] = CHANGE_TYPES;
  const unknown = [...types].filter((t) => !known.includes(t));
  if (unknown.length > 0) throw usage(`${label} '${unknown.join(",")}' is not a change type: use ${CHANGE_TYPES.join(", ")} (lower case)`);
  return types;
}

/** Printable ASCII: what an HTTP header value may safely hold. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** A User-Agent header value: Wikimedia refuses requests without a descriptive one (403). */
export function parseUserAgent(value: string, label: string): string {
  if (value.trim() === "") {
    throw usage(`${label} is empty: Wikimedia refuses requests without a descriptive User-Agent (HTTP 403); name your tool and a contact (e.g. 'mytool/1.0 (me@example.org)'), or leave ${label} out for wikistream's own`);
  }
  if (!PRINTABLE_ASCII.test(value)) throw usage(`${label} must be printable ASCII (letters, digits, spaces and punctuation; no accents or control characters)`);
  return value;
}

/** A size in bytes (`1048576`, `512KiB`, `1MiB`) of at least 1 KiB. */
export function parseBytes(value: string, label: string): number {
  const match = /^\s*(\d+)\s*(B|KiB|MiB|K|M|KB|MB)?\s*$/i.exec(value);
  const unit = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1048576, mb: 1048576, mib: 1048576 }[(match?.[2] ?? "b").toLowerCase()];
  const bytes = match && unit ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024) throw usage(`${label} '${value}' must be a size of at least 1024 bytes, e.g. 1MiB`);
  return bytes;
}

/** Turns a shell-style glob (`*`, `?`) into an anchored, case-insensitive RegExp. */
export function parseGlob(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i");
}

/** Where --listen binds: a host (loopback unless one is named) and a port. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/**
 * `:9464` (loopback), `127.0.0.1:9464`, `0.0.0.0:9464`, `[::1]:9464` or a bare port. Loopback
 * unless a host is named: the page and the metrics are not for the whole network by default.
 */
export function parseListenAddress(value: string, label: string): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw usage(`${label} '${value}' is not an address: use :9464, 127.0.0.1:9464 or 0.0.0.0:9464`);
  }
  const host = (match[1] ?? "").replace(/^\[|\]$/g, "");
  return { hostname: host === "" ? "127.0.0.1" : host, port };
}

/**
 * `1h`, `1d` or `1h,1d`: the rollup levels to keep, smallest first. A day is summed from its
 * hours, so `1d` brings `1h` with it.
 */
export function parseRollups(value: string, label: string): readonly RollupLevel[] {
  const names = value.split(",").map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !ROLLUP_LEVELS.some((level) => level.name === n));
  if (names.length === 0 || unknown.length > 0) throw usage(`${label} '${value}' is not a list of rollups: use 1h, 1d or 1h,1d`);
  const largest = Math.max(...names.map((n) => ROLLUP_LEVELS.findIndex((level) => level.name === n)));
  return ROLLUP_LEVELS.slice(0, largest + 1);
}
