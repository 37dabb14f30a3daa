/**
 * One writer per prefix: a lock key holding a random token, the host and the pid, with a TTL
 * that the holder refreshes. A holder that stops refreshing (killed, hung) loses it after the
 * TTL; on the same host a dead holder's lock is taken over at once.
 */
import { hostname } from "node:os";
import type { Redis as RedisClient } from "ioredis";
import { WikistreamError } from "../../lib/error.ts";
import type { Logger } from "../../lib/log.ts";
import { classifyRedisError } from "./errors.ts";
import { ACQUIRE_SCRIPT, REFRESH_SCRIPT, RELEASE_SCRIPT, TAKEOVER_SCRIPT, runScript } from "./scripts.ts";

interface LockHolder {
  token: string;
  host: string;
  pid: number;
}

/** How often the lock is polled while waiting for another holder's to expire. */
const POLL_MS = 250;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "EPERM";
  }
}

/** The error when another instance holds the prefix. */
export function lockHeldError(prefix: string, who: string): WikistreamError {
  return new WikistreamError("lock", `another wikistream (${who}) is writing to prefix '${prefix}': stop it, or give this one another --prefix`);
}

/** The error when our lock was taken while we were away. */
export function lockLostError(prefix: string): WikistreamError {
  return new WikistreamError("lock", `another wikistream took over prefix '${prefix}' (our lock expired): stopping so the two cannot mix their windows`);
}

/** Options of PrefixLock. */
export interface PrefixLockOptions {
  key: string;
  /** The database to select, or "" where there is only one (Cluster). */
  db: string;
  prefix: string;
  ttlMs: number;
  log: Logger;
  now: () => number;
  /** Called while waiting on a full Redis, to say so (rate-limited by the caller). */
  onOom(error: unknown): void;
}

/** The lock of one prefix, held by this process. */
export class PrefixLock {
  /** What this process stores in the lock key. */
  readonly text: string;
  private readonly holder: LockHolder;

  constructor(private readonly options: PrefixLockOptions) {
    this.holder = { token: crypto.randomUUID(), host: hostname(), pid: process.pid };
    this.text = JSON.stringify(this.holder);
  }

  /** Takes the lock, waiting up to one TTL for a holder that stopped refreshing it. */
  async acquire(client: RedisClient): Promise<void> {
    const { key, db, ttlMs, now } = this.options;
    const deadline = now() + ttlMs + 1000;
    let lastTtl = Number.POSITIVE_INFINITY;
    for (;;) {
      let current: unknown;
      try {
        current = await runScript(client, ACQUIRE_SCRIPT, [key], [db, this.text, ttlMs]);
      } catch (error) {
        // Out of memory is for the user to fix while we wait, as it is for window writes.
        if (classifyRedisError(error) !== "oom") throw error;
        this.options.onOom(error);
        await Bun.sleep(POLL_MS);
        continue;
      }
      if (current === 1) return;
      if (typeof current !== "string") continue;
      const holder = parseHolder(current);
      const who = `pid ${holder.pid ?? "?"} on ${holder.host ?? "?"}`;
      if (await this.takeOverDead(client, current, holder, who)) return;
      const ttl = await client.pttl(key);
      if (ttl > lastTtl + POLL_MS || now() > deadline) throw lockHeldError(this.options.prefix, who);
      if (lastTtl === Number.POSITIVE_INFINITY) {
        this.options.log.warn(`prefix '${this.options.prefix}' is locked by ${who}; waiting up to ${Math.ceil(ttlMs / 1000)}s for it to expire`);
      }
      lastTtl = ttl;
      await Bun.sleep(POLL_MS);
    }
  }

  /**
   * A holder on this host whose process is gone is taken over at once; a live one is refused.
   * Same host and pid but not our token is another container (both pid 1, say): foreign.
   */
  private async takeOverDead(client: RedisClient, current: string, holder: Partial<LockHolder>, who: string): Promise<boolean> {
    if (holder.host !== this.holder.host || typeof holder.pid !== "number" || holder.pid === process.pid) return false;
    if (isProcessAlive(holder.pid)) throw lockHeldError(this.options.prefix, who);
    if ((await runScript(client, TAKEOVER_SCRIPT, [this.options.key], [this.options.db, current, this.text, this.options.ttlMs])) !== 1) return false;
    this.options.log.debug(`took over the lock of a stopped wikistream (${who})`);
    return true;
  }

  /** Extends the lock; false when another instance holds it now. */
  async refresh(client: RedisClient): Promise<boolean> {
    return (await runScript(client, REFRESH_SCRIPT, [this.options.key], [this.options.db, this.text, this.options.ttlMs])) === 1;
  }

  /** Gives the lock up if it is still ours. */
  async release(client: RedisClient): Promise<void> {
    await runScript(client, RELEASE_SCRIPT, [this.options.key], [this.options.db, this.text]);
  }
}

function parseHolder(text: string): Partial<LockHolder> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Partial<LockHolder>) : {};
  } catch {
    // Not ours to interpret: wait for it to expire like any foreign holder.
    return {};
  }
}
