/**
 * The ioredis client for a target: one server, the master Sentinels name (ioredis asks them
 * again after every disconnect, so a failover moves the client along), or a Cluster (ioredis
 * follows MOVED and ASK and learns new masters). Every client is created with wikistream's
 * scripts as its commands (commands.ts). ioredis is loaded lazily by the caller.
 */
import type { Cluster, ClusterOptions, Redis, RedisOptions } from "ioredis";
import { resolveBackoff } from "../../lib/backoff.ts";
import { SCRIPT_COMMANDS } from "./commands.ts";
import type { RedisTarget } from "./url.ts";

/** A connection to Redis, whatever the topology. */
export type RedisClient = Redis | Cluster;

/** How long a connection attempt may take. */
export const CONNECT_TIMEOUT_MS = 5000;
/** Reconnect spacing (the shared backoff formula, see lib/backoff.ts). */
const RECONNECT_POLICY = { baseMs: 100, maxMs: 2000 };

/** Options every connection gets: fail fast instead of queueing (the sink keeps its own queue). */
function baseOptions(): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => resolveBackoff(times, RECONNECT_POLICY),
  };
}

/** Creates (does not connect) the client for `target`; `url` is what the user gave, for a single server. */
export async function createRedisClient(target: RedisTarget, url: string, ca: string | undefined): Promise<RedisClient> {
  const { default: IORedis, Cluster: IOCluster } = await import("ioredis");
  const tls = target.tls ? (ca ? { ca } : {}) : undefined;
  if (target.kind === "single") return new IORedis(url, { ...baseOptions(), scripts: SCRIPT_COMMANDS, ...(tls ? { tls } : {}) });
  if (target.kind === "sentinel") {
    return new IORedis({
      ...baseOptions(),
      scripts: SCRIPT_COMMANDS,
      sentinels: target.sentinels,
      name: target.master,
      db: target.db,
      username: target.username,
      password: target.password,
      sentinelPassword: target.sentinelPassword,
      sentinelRetryStrategy: (times) => resolveBackoff(times, RECONNECT_POLICY),
      // The sentinels announce a failover (+switch-master): connect to the new master at once,
      // rather than writing on to the old one until it is demoted (its writes would be lost).
      failoverDetector: true,
      // A master demoted by a failover answers READONLY: ask the sentinels again.
      reconnectOnError: (error) => /^READONLY/.test(error.message),
      ...(tls ? { tls, enableTLSForSentinelMode: true } : {}),
    });
  }
  // The Cluster runs the scripts (on the node of their keys' slot): its nodes' clients need not know them.
  const options: ClusterOptions = {
    scripts: SCRIPT_COMMANDS,
    lazyConnect: true,
    enableOfflineQueue: false,
    scaleReads: "master",
    clusterRetryStrategy: (times) => resolveBackoff(times, RECONNECT_POLICY),
    redisOptions: { ...baseOptions(), username: target.username, password: target.password, ...(tls ? { tls } : {}) },
  };
  return new IOCluster(target.nodes, options);
}
