/** Redis URLs: what they point at (host, port, database), and how to show them without secrets. */

/** A single Redis server named by a redis:// or rediss:// URL. */
export interface RedisTarget {
  host: string;
  port: number;
  /** The database the URL names (path `/N` or `?db=N`); 0 when it names none. */
  db: number;
  tls: boolean;
  /** The URL without its password, for messages. */
  display: string;
}

/** Redis's default port. */
const DEFAULT_PORT = 6379;

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

/**
 * Reads a redis:// or rediss:// URL. Returns a message (a string) instead when the database part
 * is not a whole number: ioredis would otherwise pass it on and write to database 0.
 */
export function parseRedisTarget(text: string): RedisTarget | string {
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
    host: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: url.port === "" ? DEFAULT_PORT : Number(url.port),
    db: Number(dbText),
    tls: url.protocol === "rediss:",
    display: formatRedisUrl(text),
  };
}
