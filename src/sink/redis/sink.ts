/**
 * The Redis sink: the only module family that touches ioredis (loaded lazily, so --help and
 * --version never pay for it). Writes are queued and merged in memory while Redis is away, and
 * retried in order; nothing is dropped. See writer.ts for what one write holds.
 */
import type { Redis as RedisClient, RedisOptions } from "ioredis";
import { resolveBackoff } from "../../lib/backoff.ts";
import { WikistreamError, formatError } from "../../lib/error.ts";
import type { Logger } from "../../lib/log.ts";
import type { Sink } from "../../run/ports.ts";
import type { Checkpoint, WindowBatch } from "../../window/types.ts";
import { parseCheckpointFields } from "./checkpoint.ts";
import { classifyRedisError, describeFatalRedisError } from "./errors.ts";
import { createKeys } from "./keys.ts";
import { PrefixLock, lockLostError } from "./lock.ts";
import { WriteQueue } from "./queue.ts";
import { formatRedisUrl } from "./url.ts";
import { WATCH_CONFLICT, sendWrite } from "./writer.ts";

/** Options of createRedisSink. */
export interface RedisSinkOptions {
  url: string;
  prefix: string;
  log: Logger;
  /** PEM text of extra CAs for rediss://. */
  ca?: string;
  lockTtlMs?: number;
  now?: () => number;
}

/**
 * Windows held in memory while Redis is away before reading pauses: about 17 hours of 30 s
 * windows, or a minute of catching up at full speed; a few MB at most.
 */
export const MAX_BACKLOG_WINDOWS = 2000;
/** How long a lock lives without a refresh: how long a standby or a restart waits for a dead holder. */
const LOCK_TTL_MS = 15_000;
/** Retry spacing for writes and reconnects. */
const RETRY_POLICY = { baseMs: 100, maxMs: 2000 };
/** An out-of-memory Redis is reported at most this often (it is retried all along). */
const OOM_LOG_INTERVAL_MS = 30_000;

/** Creates the Redis sink. */
export function createRedisSink(options: RedisSinkOptions): Sink {
  return new RedisSink(options);
}

class RedisSink implements Sink {
  readonly failed: Promise<never>;
  private fail: (error: WikistreamError) => void = () => undefined;
  private fatal: WikistreamError | undefined;
  private redis: RedisClient | undefined;
  private readonly keys;
  private readonly where: string;
  private readonly lock: PrefixLock;
  private readonly lockTtlMs: number;
  private readonly now: () => number;
  private readonly queue = new WriteQueue();
  private writing = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lockTimer: ReturnType<typeof setInterval> | undefined;
  private failures = 0;
  private outageLogged = false;
  private lastOomLog = Number.NEGATIVE_INFINITY;
  private waiters: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(private readonly options: RedisSinkOptions) {
    this.keys = createKeys(options.prefix);
    this.where = formatRedisUrl(options.url);
    this.lockTtlMs = options.lockTtlMs ?? LOCK_TTL_MS;
    this.now = options.now ?? Date.now;
    this.lock = new PrefixLock({
      key: this.keys.lock,
      prefix: options.prefix,
      ttlMs: this.lockTtlMs,
      log: options.log,
      now: this.now,
      onOom: (error) => this.logOom(error, "cannot take the lock yet"),
    });
    this.failed = new Promise<never>((_, reject) => {
      this.fail = (error) => {
        if (this.fatal) return;
        this.fatal = error;
        reject(error);
        this.wake();
      };
    });
    this.failed.catch(() => undefined);
  }

  private toFatal(error: unknown): WikistreamError | undefined {
    return error instanceof WikistreamError ? error : describeFatalRedisError(error, this.where);
  }

  async open(): Promise<Checkpoint | null> {
    const client = await this.connect();
    let fields: Record<string, string>;
    try {
      await this.lock.acquire(client);
      this.lockTimer = setInterval(() => void this.refreshLock(), Math.max(500, Math.floor(this.lockTtlMs / 3)));
      fields = await client.hgetall(this.keys.checkpoint);
    } catch (error) {
      // A refusal at start (read-only replica, ACL) is as final as one during the run: say so plainly.
      throw this.toFatal(error) ?? error;
    }
    return parseCheckpointFields(fields, this.keys.checkpoint);
  }

  /** Creates the client and waits until it is ready (or a fatal error). */
  private async connect(): Promise<RedisClient> {
    const { default: Redis } = await import("ioredis");
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      retryStrategy: (times) => resolveBackoff(times, RETRY_POLICY),
    };
    if (this.options.url.startsWith("rediss:")) redisOptions.tls = this.options.ca ? { ca: this.options.ca } : {};
    const client = new Redis(this.options.url, redisOptions);
    this.redis = client;
    let waitingLogged = false;
    client.on("error", (error: unknown) => {
      const bad = describeFatalRedisError(error, this.where);
      if (bad) {
        client.disconnect();
        this.fail(bad);
        return;
      }
      if (!waitingLogged && client.status !== "ready") {
        waitingLogged = true;
        this.options.log.warn(`waiting for Redis at ${this.where} (${formatError(error)})`);
      }
    });
    client.on("ready", () => {
      if (waitingLogged) this.options.log.info(`Redis at ${this.where} is up`);
      waitingLogged = false;
      if (!this.queue.isEmpty()) this.schedule(0);
    });
    const ready = new Promise<void>((resolve) => client.once("ready", () => resolve()));
    client.connect().catch(() => undefined);
    await Promise.race([ready, this.failed]);
    return client;
  }

  private logOom(error: unknown, waiting: string): void {
    if (this.now() - this.lastOomLog <= OOM_LOG_INTERVAL_MS) return;
    this.lastOomLog = this.now();
    this.options.log.error(`Redis at ${this.where} is out of memory (${formatError(error)}); ${waiting}: free memory or raise maxmemory, retrying`);
  }

  private async refreshLock(): Promise<void> {
    const client = this.redis;
    if (!client || client.status !== "ready") return;
    try {
      if (!(await this.lock.refresh(client))) this.fail(lockLostError(this.options.prefix));
    } catch (error) {
      const bad = this.toFatal(error);
      if (bad) this.fail(bad);
    }
  }

  write(batch: WindowBatch): void {
    this.queue.add(batch);
    this.schedule(0);
  }

  backlog(): number {
    return this.queue.size;
  }

  hold(): Promise<void> | undefined {
    if (this.queue.size <= MAX_BACKLOG_WINDOWS || this.fatal) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  flush(): Promise<boolean> {
    if (this.fatal) return Promise.resolve(false);
    if (!this.writing && this.queue.isEmpty()) return Promise.resolve(true);
    this.schedule(0);
    return new Promise<boolean>((resolve) => this.idle.push(() => resolve(!this.fatal)));
  }

  /** Wakes readers held for room, and flushes waiting for the queue to empty, as far as the state allows. */
  private wake(): void {
    if (this.fatal || (this.queue.size <= MAX_BACKLOG_WINDOWS && !this.writing)) {
      const ready = this.waiters;
      this.waiters = [];
      for (const resolve of ready) resolve();
    }
    if (this.fatal || (!this.writing && this.queue.isEmpty())) {
      const done = this.idle;
      this.idle = [];
      for (const resolve of done) resolve();
    }
  }

  private schedule(delayMs: number): void {
    if (this.writing || this.fatal) return;
    if (this.retryTimer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.retryTimer);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delayMs);
  }

  private async drain(): Promise<void> {
    const client = this.redis;
    if (this.writing || this.fatal || !client || this.queue.isEmpty()) return;
    this.writing = true;
    const unit = this.queue.take();
    try {
      await sendWrite(client, unit, { keys: this.keys, prefix: this.options.prefix, lockText: this.lock.text, lockTtlMs: this.lockTtlMs, now: this.now });
    } catch (error) {
      this.writing = false;
      this.queue.putBack(unit);
      return this.retry(error);
    }
    this.writing = false;
    if (this.outageLogged) this.options.log.info(`Redis writes resumed (${unit.windows.length} windows caught up)`);
    this.outageLogged = false;
    this.failures = 0;
    for (const window of unit.windows) this.options.log.debug(`wrote window ${window.startMs / 1000} (${window.total} changes${window.final ? ", final" : ""})`);
    this.wake();
    if (!this.queue.isEmpty()) this.schedule(0);
  }

  private retry(error: unknown): void {
    if (error === WATCH_CONFLICT) return this.schedule(0);
    const bad = this.toFatal(error);
    if (bad) return this.fail(bad);
    this.failures++;
    const waiting = `${this.queue.size} windows wait in memory`;
    if (classifyRedisError(error) === "oom") {
      this.logOom(error, waiting);
    } else if (!this.outageLogged) {
      this.outageLogged = true;
      this.options.log.warn(`cannot write to Redis at ${this.where} (${formatError(error)}); ${waiting}, retrying`);
    }
    this.schedule(resolveBackoff(this.failures, RETRY_POLICY));
  }

  async close(): Promise<void> {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.lockTimer !== undefined) clearInterval(this.lockTimer);
    const client = this.redis;
    if (!client) return;
    if (client.status === "ready" && !this.fatal) {
      await Promise.race([this.lock.release(client).catch(() => undefined), Bun.sleep(300)]);
    }
    client.disconnect();
  }
}

