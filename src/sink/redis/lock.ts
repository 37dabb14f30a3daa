/**
 * One writer per prefix: a lock key holding a random token, the host and the pid, with a TTL
 * that the holder refreshes. A holder that stops refreshing (killed, hung) loses it after the
 * TTL; on the same host a dead holder's lock is taken over at once.
 */
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { RedisClient } from "./client.ts";
import { formatDuration } from "../../lib/duration.ts";
import { WikistreamError } from "../../lib/error.ts";
import { formatSeconds } from "../../lib/format.ts";
import type { Logger } from "../../lib/log.ts";
import { classifyRedisError } from "./errors.ts";
import { runScript } from "./commands.ts";
import { ACQUIRE_SCRIPT, REFRESH_SCRIPT, RELEASE_SCRIPT, TAKEOVER_SCRIPT } from "./scripts.ts";

interface LockHolder {
  token: string;
  host: string;
  pid: number;
  /** The pid namespace (Linux): containers that share a host name need not see each other's pids. */
  ns: string;
}

/** This process's pid namespace, e.g. `pid:[4026531836]`; "" where there is none to read. */
function readPidNamespace(): string {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return "";
  }
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
  /** Wait for a live holder's lock to expire instead of refusing (--standby). */
  standby?: boolean;
  /** Told when standing by starts and ends. */
  onStandby?(standing: boolean): void;
}

/** The lock of one prefix, held by this process. */
export class PrefixLock {
  /** What this process stores in the lock key. */
  readonly text: string;
  private readonly holder: LockHolder;

  constructor(private readonly options: PrefixLockOptions) {
    this.holder = { token: crypto.randomUUID(), host: hostname(), pid: process.pid, ns: readPidNamespace() };
    this.text = JSON.stringify(this.holder);
  }

  /**
   * Takes the lock. A holder that stopped refreshing it is waited for up to one TTL (a dead one
   * on this host not at all); a live one is refused, unless this instance is a standby, which
   * waits for the lock to expire however long that takes and then takes over.
   */
  async acquire(client: RedisClient): Promise<void> {
    const { key, db, ttlMs, now } = this.options;
    const deadline = now() + ttlMs + 1000;
    let lastTtl = Number.POSITIVE_INFINITY;
    /** When the holder last refreshed its lock, as far as the TTLs seen tell (for the takeover time). */
    let refreshedAt: number | undefined;
    for (;;) {
      const current = await this.tryTake(client);
      if (current === true) return this.sayTakeover(refreshedAt);
      if (current === undefined) continue;
      const holder = parseHolder(current);
      const who = `pid ${holder.pid ?? "?"} on ${holder.host ?? "?"}`;
      if (await this.takeOverDead(client, current, holder, who)) return;
      const ttl = await client.pttl(key);
      const refreshed = ttl > lastTtl + POLL_MS;
      if (ttl > 0 && (refreshed || refreshedAt === undefined)) refreshedAt = now() - (ttlMs - ttl);
      if (lastTtl === Number.POSITIVE_INFINITY) this.sayWaiting(who);
      if (!this.options.standby && (refreshed || now() > deadline)) throw lockHeldError(this.options.prefix, who);
      lastTtl = ttl;
      await Bun.sleep(POLL_MS);
    }
  }

  /** One attempt: true when taken (or already ours), the holder's value, or undefined to try again. */
  private async tryTake(client: RedisClient): Promise<true | string | undefined> {
    let current: unknown;
    try {
      current = await runScript(client, ACQUIRE_SCRIPT, [this.options.key], [this.options.db, this.text, this.options.ttlMs]);
    } catch (error) {
      // Out of memory is for the user to fix while we wait, as it is for window writes.
      if (classifyRedisError(error) !== "oom") throw error;
      this.options.onOom(error);
      await Bun.sleep(POLL_MS);
      return undefined;
    }
    // Our own value: a failover brought back the lock this process held before it.
    if (current === 1 || current === this.text) return true;
    return typeof current === "string" ? current : undefined;
  }

  private sayWaiting(who: string): void {
    const { prefix, ttlMs, log } = this.options;
    if (this.options.standby) {
      this.options.onStandby?.(true);
      log.info(`standing by: prefix '${prefix}' is written by ${who}; taking over when its lock expires (TTL ${formatDuration(ttlMs)})`);
    }
    else log.warn(`prefix '${prefix}' is locked by ${who}; waiting up to ${Math.ceil(ttlMs / 1000)}s for it to expire`);
  }

  private sayTakeover(refreshedAt: number | undefined): void {
    this.options.onStandby?.(false);
    if (!this.options.standby || refreshedAt === undefined) return;
    const { prefix, ttlMs, log, now } = this.options;
    log.info(`took over prefix '${prefix}' ${formatSeconds(now() - refreshedAt)} after the last refresh of its lock (TTL ${formatDuration(ttlMs)})`);
  }

  /**
   * A holder on this host whose process is gone is taken over at once; a live one is refused
   * (or, by a standby, waited for). "This host" is the same host name and pid namespace: two
   * containers with the host's network share its name but not their pids, and neither may judge
   * the other dead. Same host and pid but not our token is another container (both pid 1, say).
   */
  private async takeOverDead(client: RedisClient, current: string, holder: Partial<LockHolder>, who: string): Promise<boolean> {
    const sameHost = holder.host === this.holder.host && holder.ns === this.holder.ns;
    if (!sameHost || typeof holder.pid !== "number" || holder.pid === process.pid) return false;
    if (isProcessAlive(holder.pid)) {
      if (this.options.standby) return false;
      throw lockHeldError(this.options.prefix, who);
    }
    if ((await runScript(client, TAKEOVER_SCRIPT, [this.options.key], [this.options.db, current, this.text, this.options.ttlMs])) !== 1) return false;
    this.options.log.info(`took over prefix '${this.options.prefix}' from ${who}, which is no longer running`);
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
