/** Sorting Redis and socket errors into what to do about them, and saying so in one line. */
import { WikistreamError, formatError, readErrorCode } from "../../lib/error.ts";

/** What an error means for the writer: stop with a message (the first three), wait, or retry. */
export type RedisErrorKind = "auth" | "readonly" | "tls" | "oom" | "transient";

/** Sorts a Redis or socket error into what to do about it. */
export function classifyRedisError(error: unknown): RedisErrorKind {
  const message = formatError(error);
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password|NOPERM/i.test(message)) return "auth";
  if (/^READONLY|read only replica/i.test(message)) return "readonly";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL|certificate/i.test(`${readErrorCode(error)} ${message}`)) return "tls";
  if (/^OOM/.test(message)) return "oom";
  return "transient";
}

/** The one-line error for a fault retrying cannot fix, or undefined when retrying may help. */
export function describeFatalRedisError(error: unknown, where: string): WikistreamError | undefined {
  const kind = classifyRedisError(error);
  const why = formatError(error);
  if (kind === "auth") return new WikistreamError("redis", `Redis at ${where} refused the credentials (${why}): check user and password in --redis-url or REDIS_URL`);
  if (kind === "readonly") return new WikistreamError("redis", `Redis at ${where} is a read-only replica: point --redis-url at the primary`);
  if (kind === "tls") return new WikistreamError("redis", `TLS with Redis at ${where} failed (${why}): pass the server's CA with --redis-ca FILE`);
  return undefined;
}
