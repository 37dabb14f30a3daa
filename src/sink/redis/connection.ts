/**
 * Connecting to Redis: a look at who answers first (probe.ts), then ioredis, then proof that
 * the connection is on the database the URL names. ioredis's own words (option names, its
 * console warnings) are turned into ours here.
 */
import { WikistreamError } from "../../lib/error.ts";
import type { Logger } from "../../lib/log.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause } from "./errors.ts";
import { describeForeignReply, probeRedisPeer } from "./probe.ts";
import { CONNECT_TIMEOUT_MS, createRedisClient, type RedisClient } from "./client.ts";
import type { Address, RedisTarget } from "./url.ts";

export { CONNECT_TIMEOUT_MS };

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
  const addresses: Address[] = target.kind === "single" ? [target] : target.kind === "sentinel" ? target.sentinels : target.nodes;
  await Promise.all(addresses.map((address) => checkAddress(address)));
}

async function checkAddress({ host, port }: Address): Promise<void> {
  const result = await probeRedisPeer(host, port, CONNECT_TIMEOUT_MS);
  const at = `${host}:${port}`;
  if (result.kind === "not-redis") throw new WikistreamError("redis", `${at} does not answer like Redis (${describeForeignReply(result.sent)}): check --redis-url`);
  if (result.kind === "silent") throw new WikistreamError("redis", `${at} accepted a connection but did not answer PING within ${CONNECT_TIMEOUT_MS / 1000}s: is it a Redis? check --redis-url`);
}

/** Who hears ioredis's console warnings: the connections open now, the newest last. */
const routes: { log: Logger; where: string; said: boolean }[] = [];
let originalWarn: typeof console.warn | undefined;

/**
 * ioredis warns on the console when a password is given to a server without one; say it once,
 * in our words. Returns the function that undoes it. Connections may overlap in any order (the
 * live page's history reader opens and closes beside the sink), so the console is patched once
 * and put back only when the last of them is done.
 */
export function routeConsoleWarnings(log: Logger, where: string): () => void {
  const route = { log, where, said: false };
  routes.push(route);
  if (originalWarn === undefined) {
    const original = console.warn;
    originalWarn = original;
    console.warn = (...args: unknown[]) => {
      const text = typeof args[0] === "string" ? args[0] : "";
      const heard = routes[routes.length - 1];
      if (!/^\[(WARN|ERROR)\]/.test(text) || heard === undefined) return original(...args);
      if (heard.said) return;
      heard.said = true;
      if (/does not require a password/.test(text)) heard.log.warn(`Redis at ${heard.where} needs no password, but one was given: remove it from the URL (or set one on the server)`);
      else heard.log.warn(`Redis at ${heard.where}: ${text.replace(/^\[\w+\]\s*/, "")}`);
    };
  }
  return () => {
    const at = routes.indexOf(route);
    if (at >= 0) routes.splice(at, 1);
    if (routes.length === 0 && originalWarn !== undefined) {
      console.warn = originalWarn;
      originalWarn = undefined;
    }
  };
}

/** Creates the client, waits until it is ready, and proves its database. Returns it with a function that undoes the console routing. */
export async function connectRedis(options: ConnectOptions): Promise<{ client: RedisClient; release(): void }> {
  const { target, log } = options;
  await checkPeer(target);
  const release = routeConsoleWarnings(log, target.display);
  const client = await createRedisClient(target, options.url, options.ca);
  // Where a failover can happen, a demoted master's READONLY is part of it, not a wrong URL.
  const readonlyPasses = target.kind !== "single";
  let waitingSaid = false;
  let proven = false;
  client.on("error", (error: unknown) => {
    if (classifyRedisError(error) === "db") {
      // At start proveDatabase says it with the server's database count; later (a server
      // restarted with fewer databases) it is just as final.
      if (proven) options.fail(new WikistreamError("redis", `${target.display}: the server has no database ${target.db} any more; stopping (nothing was written elsewhere)`));
      return;
    }
    const bad = describeFatalRedisError(error, target.display, { readonlyPasses });
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
  await proveDatabase(client, target, "writer");
  proven = true;
  return { client, release };
}

/**
 * Selects the URL's database on this connection and fails with one line when the server has
 * no such database. (Every write script selects it again: this is for the message.) A writer's
 * line adds that nothing was written; a reader never writes, so it does not.
 */
export async function proveDatabase(client: RedisClient, target: RedisTarget, role: "writer" | "reader"): Promise<void> {
  // A Cluster has only database 0, and SELECT is refused there.
  if (target.kind === "cluster" || "nodes" in client) return;
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
    throw new WikistreamError("redis", `${target.display}: ${has}; pick one of those in --redis-url${role === "writer" ? " (nothing was written)" : ""}`);
  }
}
