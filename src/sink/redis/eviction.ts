/**
 * A Redis that evicts keys when full would drop what wikistream wrote without a word: with an
 * `allkeys-*` policy any key (the checkpoint, a window), with a `volatile-*` one every key with a
 * time to live (windows under --retain, rollups, the lock), and an evicted window reads back as a
 * quiet one. The policy is read from `INFO memory` (CONFIG is often disabled on managed Redis)
 * at start and on every reconnect, and named before anything is written.
 */
import type { RedisClient } from "./client.ts";

/** What a policy means for the run. */
export type EvictionVerdict = { kind: "safe" } | { kind: "refused"; reason: string } | { kind: "allowed"; warning: string };

/** The `maxmemory_policy` of each server behind the client (each master of a Cluster); empty when INFO is denied or fails. */
export async function readEvictionPolicies(client: RedisClient): Promise<string[]> {
  const servers: { info(section: string): Promise<string> }[] = "nodes" in client && typeof client.nodes === "function" ? client.nodes("master") : [client];
  const policies: string[] = [];
  for (const server of servers) {
    try {
      const policy = /^maxmemory_policy:(\S+)/m.exec(await server.info("memory"))?.[1];
      if (policy !== undefined) policies.push(policy);
    } catch {
      // A user without INFO (said once when connecting: see connection.ts), or a connection that
      // dropped: the next connection asks again.
    }
  }
  return policies;
}

/**
 * The verdict on a server's policy: `allkeys-*` refused (no flag makes a lost checkpoint safe),
 * `volatile-*` refused unless `allow` (--allow-eviction), anything else (`noeviction`) safe.
 */
export function judgeEvictionPolicy(policy: string, where: string, allow: boolean): EvictionVerdict {
  if (policy.startsWith("allkeys-")) {
    return {
      kind: "refused",
      reason: `Redis at ${where} evicts any key when it is full (maxmemory-policy ${policy}): it could evict the checkpoint or a window and lose counts in silence; set maxmemory-policy noeviction on the server (CONFIG SET maxmemory-policy noeviction, and in redis.conf)`,
    };
  }
  if (!policy.startsWith("volatile-")) return { kind: "safe" };
  const what = `Redis at ${where} evicts keys with a time to live when it is full (maxmemory-policy ${policy})`;
  if (allow) return { kind: "allowed", warning: `${what}: an evicted window reads as quiet; allowed by --allow-eviction` };
  return { kind: "refused", reason: `${what}, and window keys (--retain), rollups and the lock carry one: set maxmemory-policy noeviction on the server, or accept losing them with --allow-eviction` };
}
