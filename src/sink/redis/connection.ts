/**
 * Connecting to Redis: a look at who answers first (probe.ts), then ioredis, then proof that
 * the connection is on the database the URL names. ioredis's own words (option names, its
 * console warnings) are turned into ours here.
 */
import type { Redis as RedisClient, RedisOptions } from "ioredis";
import { resolveBackoff } from "../../lib/backoff.ts";
import { WikistreamError } from "../../lib/error.ts";
import type { Logger } from "../../lib/log.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause } from "./errors.ts";
import { describeForeignReply, probeRedisPeer } from "./probe.ts";
import type { RedisTarget } from "./url.ts";

/** How long a connection attempt (and the probe's wait for an answer) may take. */
export const CONNECT_TIMEOUT_MS = 5000;
/** Reconnect spacing (the shared backoff formula, see lib/backoff.ts). */
const RECONNECT_POLICY = { baseMs: 100, maxMs: 2000 };

/** Options of connectRedis. */
export interface ConnectOptions {
  url: string;
  target: RedisTarget;
  log: Logger;
  /** PEM text of extra CAs for rediss://. */
  ca?: string;
  /** Called with an error retrying cannot fix, at any time. */
  fail(error: WikistreamError): void;
  /** Resolves when the run gives up (a stop, or a fatal error elsewhere). */
  abandoned: Promise<unknown>;
  /** Called on every (re)connection once it is ready. */
  onReady(): void;
  /** Told when the client starts or stops waiting for Redis. */
  onWaiting?(waiting: boolean): void;
}

/**
 * Refuses an address where something other than Redis answers (an HTTP server, TLS on a
 * plain URL, a port that accepts and says nothing). Nobody listening is fine: Redis may start later.
 */
export async function checkPeer(target: RedisTarget): Promise<void> {
  if (target.tls) return; // a TLS handshake fails loudly on its own (see errors.ts, "tls")
  const result = await probeRedisPeer(target.host, target.port, CONNECT_TIMEOUT_MS);
  const at = `${target.host}:${target.port}`;
  if (result.kind === "not-redis") throw new WikistreamError("redis", `${at} does not answer like Redis (${describeForeignReply(result.sent)}): check --redis-url`);
  if (result.kind === "silent") throw new WikistreamError("redis", `${at} accepted a connection but did not answer PING within ${CONNECT_TIMEOUT_MS / 1000}s: is it a Redis? check --redis-url`);
}

/** ioredis warns on the console when a password is given to a server without one; say it once, in our words. */
function routeConsoleWarnings(log: Logger, where: string): () => void {
  const original = console.warn;
  let said = false;
  console.warn = (...args: unknown[]) => {
    const text = typeof args[0] === "string" ? args[0] : "";
    if (!/^\[(WARN|ERROR)\]/.test(text)) return original(...args);
    if (said) return;
    said = true;
    if (/does not require a password/.test(text)) log.warn(`Redis at ${where} needs no password, but one was given: remove it from the URL (or set one on the server)`);
    else log.warn(`Redis at ${where}: ${text.replace(/^\[\w+\]\s*/, "")}`);
  };
  return () => {
    console.warn = original;
  };
}

/** Creates the client, waits until it is ready, and proves its database. Returns it with a function that undoes the console routing. */
export async function connectRedis(options: ConnectOptions): Promise<{ client: RedisClient; release(): void }> {
  const { target, log } = options;
  await checkPeer(target);
  const { default: Redis } = await import("ioredis");
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => resolveBackoff(times, RECONNECT_POLICY),
  };
  if (target.tls) redisOptions.tls = options.ca ? { ca: options.ca } : {};
  const release = routeConsoleWarnings(log, target.display);
  const client = new Redis(options.url, redisOptions);
  let waitingSaid = false;
  let proven = false;
  client.on("error", (error: unknown) => {
    if (classifyRedisError(error) === "db") {
      // At start proveDatabase says it with the server's database count; later (a server
      // restarted with fewer databases) it is just as final.
      if (proven) options.fail(new WikistreamError("redis", `${target.display}: the server has no database ${target.db} any more; stopping (nothing was written elsewhere)`));
      return;
    }
    const bad = describeFatalRedisError(error, target.display);
    if (bad) {
      client.disconnect();
      return options.fail(bad);
    }
    if (!waitingSaid && client.status !== "ready") {
      waitingSaid = true;
      options.onWaiting?.(true);
      log.warn(`waiting for Redis at ${target.display} (${describeRedisCause(error)})`);
    }
  });
  client.on("ready", () => {
    if (waitingSaid) log.info(`Redis at ${target.display} is up`);
    waitingSaid = false;
    options.onWaiting?.(false);
    options.onReady();
  });
  const ready = new Promise<void>((resolve) => client.once("ready", () => resolve()));
  client.connect().catch(() => undefined);
  await Promise.race([ready, options.abandoned]);
  await proveDatabase(client, target);
  proven = true;
  return { client, release };
}

/**
 * Selects the URL's database on this connection and fails with one line when the server has
 * no such database. (Every write script selects it again: this is for the message.)
 */
export async function proveDatabase(client: RedisClient, target: RedisTarget): Promise<void> {
  try {
    await client.select(target.db);
  } catch (error) {
    if (classifyRedisError(error) !== "db") throw error;
    let count: number | undefined;
    try {
      const reply = (await client.call("CONFIG", "GET", "databases")) as unknown;
      count = Array.isArray(reply) ? Number(reply[1]) : undefined;
    } catch {
      // CONFIG may be renamed or denied by an ACL: say less.
    }
    const has = count !== undefined && Number.isFinite(count) ? `the server has databases 0–${count - 1}` : `the server has no database ${target.db}`;
    throw new WikistreamError("redis", `${target.display}: ${has}; pick one of those in --redis-url (nothing was written)`);
  }
}
