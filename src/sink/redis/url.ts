/**
 * Redis URLs: what they point at (one server, a Sentinel-watched master, or a Cluster), and
 * how to show them without secrets.
 *
 *   redis://[user:pass@]host:port[/db]                       one server (rediss:// for TLS)
 *   redis+sentinel://[user:pass@]host:26379[,host:port…]/MASTER[/db]
 *   redis+cluster://[user:pass@]host:port[,host:port…]      (rediss+… for TLS)
 */

/** A host and port. */
export interface Address {
  host: string;
  port: number;
}

interface TargetBase {
  /** The database the URL names (path `/N` or `?db=N`); 0 when it names none (always 0 in a Cluster). */
  db: number;
  tls: boolean;
  /** The URL without its password, for messages. */
  display: string;
}

/** One Redis server. */
export interface SingleTarget extends TargetBase {
  kind: "single";
  host: string;
  port: number;
}

/** The master that Sentinels name `master`, wherever a failover moves it. */
export interface SentinelTarget extends TargetBase {
  kind: "sentinel";
  sentinels: Address[];
  master: string;
  username: string | undefined;
  password: string | undefined;
  /** A password of the sentinels themselves (`?sentinelPassword=`), when they have one. */
  sentinelPassword: string | undefined;
}

/** A Redis Cluster, found from any of these nodes. */
export interface ClusterTarget extends TargetBase {
  kind: "cluster";
  nodes: Address[];
  username: string | undefined;
  password: string | undefined;
}

/** What a Redis URL points at. */
export type RedisTarget = SingleTarget | SentinelTarget | ClusterTarget;

/** Redis's default port, and Sentinel's. */
const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/** Shows a Redis URL without its password, for logs and errors. */
export function formatRedisUrl(text: string): string {
  const multi = /^(rediss?\+(?:sentinel|cluster):\/\/)(?:([^@/]*)@)?(.*)$/.exec(text);
  if (multi) {
    const [, scheme = "", credentials, rest = ""] = multi;
    const user = credentials === undefined ? "" : `${credentials.includes(":") ? `${credentials.split(":")[0]}:***` : credentials}@`;
    return `${scheme}${user}${rest.replace(/([?&][^=&]*pass[^=&]*=)[^&]*/gi, "$1***")}`;
  }
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

/**
 * Reads a Redis URL. Returns a message (a string) instead when the URL cannot be used: ioredis
 * would otherwise pass a bad database on and write to database 0.
 */
export function parseRedisTarget(text: string): RedisTarget | string {
  if (/^rediss?\+sentinel:\/\//.test(text)) return parseSentinelUrl(text);
  if (/^rediss?\+cluster:\/\//.test(text)) return parseClusterUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL: expected redis://host:port[/db]";
  }
  const path = url.pathname.replace(/^\//, "");
  const query = url.searchParams.get("db");
  const dbText = path !== "" ? path : (query ?? "0");
  if (!/^\d{1,9}$/.test(dbText)) return `names database '${dbText}', not a number: use redis://host:port/0 (or /1, /2…)`;
  if (path !== "" && query !== null && query !== path) return `names two databases (/${path} and ?db=${query}): keep one`;
  return {
    kind: "single",
    host: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: url.port === "" ? DEFAULT_PORT : Number(url.port),
    db: Number(dbText),
    tls: url.protocol === "rediss:",
    display: formatRedisUrl(text),
  };
}

/** Splits `scheme://[credentials@]hosts/rest?query` where hosts is a comma-separated list. */
function splitMultiHostUrl(text: string): { credentials: string | undefined; hosts: string; path: string; query: URLSearchParams } | undefined {
  const match = /^[a-z+]+:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(text);
  if (!match) return undefined;
  return { credentials: match[1], hosts: match[2] ?? "", path: (match[3] ?? "").replace(/^\/|\/$/g, ""), query: new URLSearchParams(match[4] ?? "") };
}

function parseAddresses(hosts: string, defaultPort: number): Address[] | undefined {
  const addresses: Address[] = [];
  for (const item of hosts.split(",")) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(item.trim());
    if (!match) return undefined;
    addresses.push({ host: (match[1] ?? "").replace(/^\[|\]$/g, ""), port: match[2] === undefined ? defaultPort : Number(match[2]) });
  }
  return addresses.length > 0 ? addresses : undefined;
}

function parseCredentials(credentials: string | undefined): { username: string | undefined; password: string | undefined } {
  if (credentials === undefined) return { username: undefined, password: undefined };
  const at = credentials.indexOf(":");
  const user = decodeURIComponent(at === -1 ? credentials : credentials.slice(0, at));
  const password = at === -1 ? undefined : decodeURIComponent(credentials.slice(at + 1));
  return { username: user === "" ? undefined : user, password: password === "" ? undefined : password };
}

function parseSentinelUrl(text: string): SentinelTarget | string {
  const form = "expected redis+sentinel://host:26379[,host:port…]/MASTER[/db]";
  const parts = splitMultiHostUrl(text);
  const sentinels = parts && parseAddresses(parts.hosts, DEFAULT_SENTINEL_PORT);
  if (!parts || !sentinels) return `is not a Sentinel URL: ${form}`;
  const [master = "", dbText = "0", ...more] = parts.path.split("/");
  if (master === "" || more.length > 0) return `names no master: ${form}`;
  if (!/^\d{1,9}$/.test(dbText)) return `names database '${dbText}', not a number: ${form}`;
  return {
    kind: "sentinel",
    sentinels,
    master: decodeURIComponent(master),
    db: Number(dbText),
    tls: text.startsWith("rediss"),
    display: formatRedisUrl(text),
    ...parseCredentials(parts.credentials),
    sentinelPassword: parts.query.get("sentinelPassword") ?? undefined,
  };
}

function parseClusterUrl(text: string): ClusterTarget | string {
  const parts = splitMultiHostUrl(text);
  const nodes = parts && parseAddresses(parts.hosts, DEFAULT_PORT);
  if (!parts || !nodes) return "is not a Cluster URL: expected redis+cluster://host:port[,host:port…]";
  if (parts.path !== "" && parts.path !== "0") return `names database '${parts.path}': a Redis Cluster has only database 0`;
  return { kind: "cluster", nodes, db: 0, tls: text.startsWith("rediss"), display: formatRedisUrl(text), ...parseCredentials(parts.credentials) };
}

/** The user a shown Redis URL logs in as (its `user@`), or Redis's `default` when it names none. */
export function readRedisUser(display: string): string {
  const user = /^[a-z+]+:\/\/([^:@/]*)(?::[^@/]*)?@/.exec(display)?.[1] ?? "";
  try {
    return decodeURIComponent(user) || "default";
  } catch {
    return user;
  }
}

/** A shown Redis URL with the other scheme: TLS (`rediss…`) or not (`redis…`). */
export function switchRedisTls(display: string, tls: boolean): string {
  return display.replace(/^rediss?(?=[+:])/, tls ? "rediss" : "redis");
}

/**
 * The database every write script selects first: none for database 0, where every connection
 * starts (a Cluster has only that one and refuses SELECT; an ACL may deny SELECT to the user).
 */
export function resolveScriptDatabase(target: RedisTarget): string {
  return target.kind === "cluster" || target.db === 0 ? "" : String(target.db);
}
