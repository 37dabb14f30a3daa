/**
 * Connecting to Redis: a look at who answers first (probe.ts), then ioredis, then proof that
 * the connection is on the database the URL names. ioredis's own words (option names, its
 * console warnings) are turned into ours here.
 */
import { WikistreamError } from "../../lib/error.ts";
import type { Logger } from "../../lib/log.ts";
import { speaksTls } from "../../lib/network.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause } from "./errors.ts";
import { judgeEvictionPolicy, readEvictionPolicies } from "./eviction.ts";
import { describeForeignReply, probeRedisPeer } from "./probe.ts";
import { CONNECT_TIMEOUT_MS, createRedisClient, type RedisClient } from "./client.ts";
import { readRedisUser, switchRedisTls, type Address, type RedisTarget } from "./url.ts";

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
  /** Run on a Redis that evicts keys with a time to live (--allow-eviction); one that evicts any key is refused all the same. */
  allowEviction?: boolean;
}

/**
 * Refuses an address where something other than the URL's Redis answers: an HTTP server, TLS
 * on a plain URL, plain Redis on a TLS URL (a TLS client would wait there for a handshake that
 * never comes), a port that accepts and says nothing. Nobody listening is fine: Redis may start later.
 */
export async function checkPeer(target: RedisTarget): Promise<void> {
  // Behind Sentinel, ioredis speaks TLS to the master only: the sentinels are asked in plain text.
  if (target.tls && target.kind === "sentinel") return;
  const addresses: Address[] = target.kind === "single" ? [target] : target.kind === "sentinel" ? target.sentinels : target.nodes;
  await Promise.all(addresses.map((address) => (target.tls ? checkTlsAddress(address, target.display) : checkAddress(address, target.display))));
}

async function checkAddress({ host, port }: Address, display: string): Promise<void> {
  const result = await probeRedisPeer(host, port, CONNECT_TIMEOUT_MS);
  const at = `${host}:${port}`;
  if (result.kind === "not-redis") {
    if (await speaksTls(host, port, CONNECT_TIMEOUT_MS)) {
      throw new WikistreamError("redis", `${at} speaks TLS: use ${switchRedisTls(display, true)} in --redis-url (with --redis-ca FILE when its certificate is not from a public CA)`);
    }
    throw new WikistreamError("redis", `${at} does not answer like Redis (${describeForeignReply(result.sent)}): check --redis-url`);
  }
  if (result.kind === "silent") throw new WikistreamError("redis", `${at} accepted a connection but did not answer PING within ${CONNECT_TIMEOUT_MS / 1000}s: is it a Redis? check --redis-url`);
}

/** On a TLS URL only a plain answer to a plain PING is wrong: anything else is for the handshake to judge (see errors.ts, "tls"). */
async function checkTlsAddress({ host, port }: Address, display: string): Promise<void> {
  if ((await probeRedisPeer(host, port, CONNECT_TIMEOUT_MS)).kind !== "redis") return;
  throw new WikistreamError("redis", `${host}:${port} answers without TLS, so ${display.replace(/:.*/, "")}:// cannot work: use ${switchRedisTls(display, false)} in --redis-url (or turn TLS on in that server)`);
}

/** Who hears ioredis's console warnings: the connections open now, the newest last, with what each was told. */
const routes: { log: Logger; where: string; said: Set<string> }[] = [];

/**
 * ioredis's console sentences in our words, each said once per connection: a password given to
 * a server without one, and the ready check it skips when the user may not run INFO.
 */
function rewordConsoleWarning(text: string, where: string): { kind: string; words: string } | undefined {
  if (/does not require a password/.test(text)) return { kind: "password", words: `Redis at ${where} needs no password, but one was given: remove it from the URL (or set one on the server)` };
  if (/^Skipping the ready check because INFO command fails/.test(text)) {
    const user = readRedisUser(where);
    return { kind: "info", words: `Redis at ${where}: user '${user}' may not run INFO, so wikistream cannot see whether Redis is loading or evicts keys (maxmemory-policy): grant it (ACL SETUSER ${user} +info)` };
  }
  if (/^\[(WARN|ERROR)\]/.test(text)) return { kind: text, words: `Redis at ${where}: ${text.replace(/^\[\w+\]\s*/, "")}` };
  return undefined;
}
let originalWarn: typeof console.warn | undefined;

/**
 * Says ioredis's console warnings once each, in our words (see rewordConsoleWarning). Returns the function that undoes it. Connections may overlap in any order (the
 * live page's history reader opens and closes beside the sink), so the console is patched once
 * and put back only when the last of them is done.
 */
export function routeConsoleWarnings(log: Logger, where: string): () => void {
  const route = { log, where, said: new Set<string>() };
  routes.push(route);
  if (originalWarn === undefined) {
    const original = console.warn;
    originalWarn = original;
    console.warn = (...args: unknown[]) => {
      const heard = routes[routes.length - 1];
      const ours = heard && rewordConsoleWarning(typeof args[0] === "string" ? args[0] : "", heard.where);
      if (!heard || !ours) return original(...args);
      if (heard.said.has(ours.kind)) return;
      heard.said.add(ours.kind);
      heard.log.warn(ours.words);
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
  let refused = false;
  client.on("error", (error: unknown) => {
    // After a refusal, the disconnect fails what was queued behind it ("Connection is closed"):
    // not a Redis to wait for.
    if (refused) return;
    if (classifyRedisError(error) === "db") {
      // At start proveDatabase says it with the server's database count; later (a server
      // restarted with fewer databases) it is just as final.
      if (proven) options.fail(new WikistreamError("redis", `${target.display}: the server has no database ${target.db} any more; stopping (nothing was written elsewhere)`));
      return;
    }
    const bad = describeFatalRedisError(error, target.display, { readonlyPasses });
    const refuse = (reason: WikistreamError) => {
      refused = true;
      client.disconnect();
      options.fail(reason);
    };
    if (bad) return refuse(bad);
    // A TLS handshake with a plain Redis (one that came up after the start's look) never ends:
    // each connect times out. Look again at who answers there.
    if (target.tls && describeRedisCause(error) === "no answer to connect") checkPeer(target).catch((e: unknown) => e instanceof WikistreamError && refuse(e));
    if (!waitingSaid && client.status !== "ready") {
      waitingSaid = true;
      options.onWaiting?.(true);
      log.warn(`waiting for Redis at ${target.display} (${describeRedisCause(error)})`);
    }
  });
  let evictionSaid = false;
  /** Judges the server's eviction policy: throws a refusal (`after` ends its line), warns once about an allowed one. */
  const checkEviction = async (after = ""): Promise<void> => {
    for (const policy of await readEvictionPolicies(client)) {
      const verdict = judgeEvictionPolicy(policy, target.display, options.allowEviction === true);
      if (verdict.kind === "refused") throw new WikistreamError("redis", `${verdict.reason}${after}`);
      if (verdict.kind === "allowed" && !evictionSaid) log.warn(verdict.warning);
      evictionSaid ||= verdict.kind === "allowed";
    }
  };
  client.on("ready", () => {
    if (waitingSaid) log.info(`Redis at ${target.display} is up`);
    waitingSaid = false;
    options.onWaiting?.(false);
    // A server that came back may have come back evicting (a restart with another config):
    // asked again before anything more is written. At start, connectRedis asks below.
    if (!proven) return options.onReady();
    checkEviction().then(
      () => options.onReady(),
      (error: unknown) => options.fail(error instanceof WikistreamError ? error : new WikistreamError("redis", String(error))),
    );
  });
  const ready = new Promise<void>((resolve) => client.once("ready", () => resolve()));
  client.connect().catch(() => undefined);
  try {
    await Promise.race([ready, options.abandoned]);
    await proveDatabase(client, target, "writer");
    await checkEviction(" (nothing was written)");
  } catch (error) {
    client.disconnect();
    release();
    throw error;
  }
  proven = true;
  return { client, release };
}

/**
 * Selects the URL's database on this connection and fails with one line when the server has
 * no such database. (Every write script selects it again: this is for the message.) A writer's
 * line adds that nothing was written; a reader never writes, so it does not.
 */
export async function proveDatabase(client: RedisClient, target: RedisTarget, role: "writer" | "reader"): Promise<void> {
  // A Cluster has only database 0, and SELECT is refused there. Every connection starts on
  // database 0: no SELECT for it, so that a user an ACL denies SELECT works there.
  if (target.kind === "cluster" || "nodes" in client || target.db === 0) return;
  try {
    await client.select(target.db);
  } catch (error) {
    if (classifyRedisError(error) !== "db") throw describeFatalRedisError(error, target.display) ?? error;
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
