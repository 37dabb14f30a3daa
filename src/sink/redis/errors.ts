/** Sorting Redis and socket errors into what to do about them, and saying so in words of ours. */
import { WikistreamError, formatError, readErrorCode } from "../../lib/error.ts";
import { describeSocketCode } from "../../lib/network.ts";
import { readRedisUser } from "./url.ts";

/**
 * What an error means for the writer:
 * - `auth`, `permission`, `readonly`, `tls`, `db`, `protocol`, `refused`: retrying cannot fix it; stop with one line.
 * - `oom`, `busy`: Redis is there but cannot take writes now (full, loading, a failing save): say so, retry.
 * - `connection`: no answer at all (down, restarting, network): retry quietly.
 */
export type RedisErrorKind = "auth" | "permission" | "readonly" | "tls" | "db" | "protocol" | "refused" | "oom" | "busy" | "connection";

/** Server replies that mean "not now": the same command may succeed later. */
const BUSY_REPLY = /^(LOADING|BUSY|MISCONF|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|UNBLOCKED)\b/;

/** True for an error Redis itself replied (ioredis's ReplyError), as opposed to a socket or client error. */
function isServerReply(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/** Socket codes that mean "no one answered" (yet): never a TLS or protocol verdict, whatever the host is called. */
const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/;
/** What a failed TLS handshake or certificate check says, by code or in its message. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^ERR_TLS|^ERR_SSL/;
const TLS_MESSAGE = /certificate|self[- ]signed|TLS|SSL routines|wrong version number|handshake/i;

/**
 * The error behind a refused MULTI: Redis answers EXEC with EXECABORT when a queued command was
 * refused, and ioredis keeps those refusals as `previousErrors`; the first says why.
 */
function unwrapExecAbort(error: unknown): unknown {
  if (!(error instanceof Error) || !/^EXECABORT/.test(error.message)) return error;
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  return Array.isArray(previous) && previous[0] !== undefined ? previous[0] : error;
}

/** True when Redis refused a MULTI because it is at maxmemory: it refuses every queued command then, reads too. */
export function isExecAbortedForMemory(error: unknown): boolean {
  return error !== unwrapExecAbort(error) && classifyRedisError(error) === "oom";
}

/** Sorts a Redis or socket error into what to do about it. */
export function classifyRedisError(thrown: unknown): RedisErrorKind {
  const error = unwrapExecAbort(thrown);
  const message = formatError(error);
  const code = readErrorCode(error);
  if (NETWORK_CODES.test(code)) return "connection";
  if (/^NOPERM/.test(message)) return "permission";
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) return "auth";
  if (/^READONLY|read only replica/i.test(message)) return "readonly";
  if (TLS_CODE.test(code) || TLS_MESSAGE.test(message)) return "tls";
  if (/DB index is out of range|invalid DB index/i.test(message)) return "db";
  if (/^Protocol error/.test(message)) return "protocol";
  if (/^OOM/.test(message)) return "oom";
  if (BUSY_REPLY.test(message)) return "busy";
  if (isServerReply(error)) return "refused";
  return "connection";
}

/** An error's message in our words: ioredis's option names and "please report this" are not for users. */
export function describeRedisCause(thrown: unknown): string {
  const error = unwrapExecAbort(thrown);
  const message = formatError(error);
  const code = readErrorCode(error);
  if (/enableOfflineQueue|Stream isn't writeable|Connection is closed/i.test(message)) return "not connected";
  // ioredis's MaxRetriesPerRequestError: a command was in flight when the connection dropped.
  if (/max retries per request|maxRetriesPerRequest/i.test(message)) return "the connection dropped before Redis answered";
  if (/connect ETIMEDOUT/.test(message)) return "no answer to connect";
  const words = describeSocketCode(code);
  if (words !== undefined) return words;
  return message.replace(/\s*Please report this\.?/, "").replace(/ script: \w+, on @user_script:\d+\.?/, "");
}

/**
 * The one-line error for a fault retrying cannot fix, or undefined when retrying may help.
 * `readonlyPasses`: behind Sentinel or in a Cluster a read-only answer comes from a master a
 * failover demoted, and the client finds the new one; only a plain URL at a replica is wrong.
 */
export function describeFatalRedisError(error: unknown, where: string, options: { readonlyPasses?: boolean; prefix?: string } = {}): WikistreamError | undefined {
  const why = describeRedisCause(error);
  const kind = classifyRedisError(error);
  if (kind === "readonly" && options.readonlyPasses) return undefined;
  switch (kind) {
    case "auth":
      return new WikistreamError("redis", `Redis at ${where} refused the credentials (${why}): check user and password in --redis-url or REDIS_URL`);
    case "permission":
      return describePermission(unwrapExecAbort(error), where, options.prefix);
    case "readonly":
      return new WikistreamError("redis", `Redis at ${where} is a read-only replica: point --redis-url at the primary`);
    case "tls":
      return new WikistreamError("redis", `TLS with Redis at ${where} failed (${why}): pass the server's CA with --redis-ca FILE`);
    case "protocol":
      return new WikistreamError("redis", `${where} does not answer like Redis: check the host and port in --redis-url`);
    case "refused":
      return new WikistreamError("redis", `Redis at ${where} refused a write (${why}): nothing of it was applied; stopping`);
    default:
      // "db" is worded by the sink, which can ask the server how many databases it has.
      return undefined;
  }
}

/** A command as ioredis attaches it to a reply error. */
interface SentCommand {
  name: string;
  args: unknown[];
}

/** The first key of the command an error answers (a script's first declared key; SELECT's database), if any. */
function readFirstKey(error: unknown): string | undefined {
  const command = typeof error === "object" && error !== null ? (error as { command?: SentCommand }).command : undefined;
  if (command === undefined || !Array.isArray(command.args)) return undefined;
  const script = /^eval/i.test(command.name);
  if (script && !(Number(command.args[1]) > 0)) return undefined;
  const key = command.args[script ? 2 : 0];
  return typeof key === "string" || key instanceof Uint8Array ? String(key) : undefined;
}

/**
 * NOPERM in words: the user logged in, but an ACL denies it a command (named, with the grant)
 * or the keys of the prefix (a key named, with the key pattern to grant).
 */
function describePermission(error: unknown, where: string, prefix: string | undefined): WikistreamError {
  const user = readRedisUser(where);
  const message = formatError(error);
  const command = /run the '([^']+)' command/.exec(message)?.[1];
  if (command === "select") {
    const db = readFirstKey(error) ?? "the URL's";
    return new WikistreamError("redis", `Redis at ${where}: user '${user}' may not run SELECT, which database ${db} needs: grant it (ACL SETUSER ${user} +select), or use database 0`);
  }
  // ioredis sends a script's text (EVAL) on a connection's first run of it, its SHA-1 (EVALSHA) after that: both are needed.
  if (command === "eval" || command === "evalsha") {
    return new WikistreamError(
      "redis",
      `Redis at ${where}: user '${user}' may not run ${command.toUpperCase()} (NOPERM), and wikistream's scripts need EVAL and EVALSHA: grant both (ACL SETUSER ${user} +eval +evalsha), or use a user that may`,
    );
  }
  if (command !== undefined) {
    return new WikistreamError("redis", `Redis at ${where}: user '${user}' may not run ${command.toUpperCase()} (NOPERM): grant it (ACL SETUSER ${user} +${command.toLowerCase()}), or use a user that may`);
  }
  const key = readFirstKey(error);
  const what = /channel/i.test(message) ? "a channel" : key === undefined ? "a key it needs" : `key '${key}'`;
  const grant = prefix === undefined ? `grant it the keys it needs (ACL SETUSER ${user} '~…')` : `grant the prefix's keys (ACL SETUSER ${user} '~${prefix}*'), or use a --prefix this user may use`;
  return new WikistreamError("redis", `Redis at ${where}: user '${user}' has no permission for ${what} (NOPERM): ${grant}`);
}
