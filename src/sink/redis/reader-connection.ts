/**
 * A reader's connection (`top`, `read`, `tail`, the live page's history): any topology, the
 * URL's database proven, failures said in one line; and what a failed read means in words.
 */
import { WikistreamError, readErrorCode } from "../../lib/error.ts";
import type { Logger } from "../../lib/log.ts";
import { createRedisClient, type RedisClient } from "./client.ts";
import { checkPeer, proveDatabase, routeConsoleWarnings } from "./connection.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause } from "./errors.ts";
import { parseRedisTarget, type RedisTarget } from "./url.ts";

/** Where a reader reads: the URL, the prefix (named in permission messages) and the logger. */
export interface ReaderTarget {
  url: string;
  prefix: string;
  /** PEM text of extra CAs for rediss://. */
  ca?: string;
  log: Logger;
}

/** True for an error that came from Redis or the connection to it (not a bug of ours). */
function isRedisError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === "ReplyError" || readErrorCode(error) !== "" || /Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest/i.test(error.message);
}

/**
 * An error of a read in our words: fatal ones as the writer says them, the rest as "cannot
 * read". Anything that did not come from Redis is returned as it is (a bug says so as one).
 */
export function describeReadError(error: unknown, where: string): unknown {
  if (error instanceof WikistreamError || !isRedisError(error)) return error;
  const fatal = classifyRedisError(error) === "refused" ? undefined : describeFatalRedisError(error, where);
  return fatal ?? new WikistreamError("redis", `cannot read from Redis at ${where} (${describeRedisCause(error)})`);
}

/** True when retrying may help (Redis away or busy), false for what only a person can fix. */
export function isPassingReadError(error: unknown): boolean {
  if (error instanceof WikistreamError) return false;
  const kind = classifyRedisError(error);
  return kind === "connection" || kind === "busy";
}

/** The connected client, the function that puts the console back (see routeConsoleWarnings), and the URL without its password. */
export interface ReaderConnection {
  client: RedisClient;
  release(): void;
  where: string;
}

/** A reader's connection to the URL's database (any topology), or one line saying why not. */
export async function connectReader(options: ReaderTarget): Promise<ReaderConnection> {
  const target = parseRedisTarget(options.url);
  if (typeof target === "string") throw new WikistreamError("usage", `--redis-url ${target}`);
  return { ...(await connect(options, target)), where: target.display };
}

async function connect(options: ReaderTarget, target: RedisTarget): Promise<Omit<ReaderConnection, "where">> {
  await checkPeer(target);
  // The writer's client, whatever the topology (one server, Sentinel, Cluster): it fails fast
  // instead of queueing, which is what a reader wants too (a --watch asks again).
  const release = routeConsoleWarnings(options.log, target.display);
  const client = await createRedisClient(target, options.url, options.ca);
  // Later errors surface through the commands that meet them (an unhandled 'error' event would
  // be printed by ioredis); at connect, the event carries the cause (a refused password, a
  // certificate) where connect() only says the connection closed.
  let cause: unknown;
  client.on("error", (error: unknown) => {
    cause ??= error;
    options.log.debug(`Redis at ${target.display}: ${describeRedisCause(error)}`);
  });
  try {
    await client.connect();
    await proveDatabase(client, target, "reader");
  } catch (error) {
    client.disconnect();
    release();
    if (error instanceof WikistreamError) throw error;
    const fatal = describeFatalRedisError(cause, target.display, { prefix: options.prefix }) ?? describeFatalRedisError(error, target.display, { prefix: options.prefix });
    throw fatal ?? new WikistreamError("redis", `cannot reach Redis at ${target.display} (${describeRedisCause(cause ?? error)}): is it running? check --redis-url`);
  }
  return { client, release };
}

/** Quits a reader's connection (or drops it when Redis is gone) and puts the console back. */
export async function closeReaderConnection(client: RedisClient, release: () => void): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    release();
  }
}
