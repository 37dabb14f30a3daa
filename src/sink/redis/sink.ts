/**
 * The Redis sink: the only module family that touches ioredis (loaded lazily, so --help and
 * --version never pay for it). Writes are queued and merged in memory while Redis is away, and
 * retried in order; nothing is dropped. See writer.ts for what one write holds.
 */
import type { RedisClient } from "./client.ts";
import { resolveBackoff } from "../../lib/backoff.ts";
import { WikistreamError } from "../../lib/error.ts";
import { formatCount } from "../../lib/plural.ts";
import { formatInstant } from "../../lib/format.ts";
import type { Sink } from "../../run/ports.ts";
import type { Checkpoint, WindowBatch } from "../../window/types.ts";
import { parseCheckpointFields } from "./checkpoint.ts";
import { connectRedis } from "./connection.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause } from "./errors.ts";
import { FeedNotes, checkFeedLeftOut } from "./feed-notes.ts";
import { createKeys, type RedisKeys } from "./keys.ts";
import { inspectPrefix } from "./layout.ts";
import { PrefixLock, lockLostError } from "./lock.ts";
import { InFlightWrite } from "./inflight.ts";
import type { RedisSinkOptions } from "./options.ts";
import { WriteQueue } from "./queue.ts";
import { parseRedisTarget, resolveScriptDatabase, type RedisTarget } from "./url.ts";
import { SequenceTracker } from "./verdict.ts";
import { sendWrite, type WriteOutcome, type WriteUnit, type WriterContext } from "./writer.ts";

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
  private releaseConsole: (() => void) | undefined;
  private readonly keys: RedisKeys;
  private readonly target: RedisTarget;
  private readonly where: string;
  private readonly lock: PrefixLock;
  private readonly lockTtlMs: number;
  private readonly now: () => number;
  private readonly queue = new WriteQueue();
  private readonly feedNotes: FeedNotes;
  /** What every write carries but the lock's value, the sequence number and the write's time. */
  private readonly context: Omit<WriterContext, "lockText" | "seq" | "now">;
  private writing = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lockTimer: ReturnType<typeof setInterval> | undefined;
  private failures = 0;
  private writes = 0;
  /** The write sequence number in the checkpoint as this writer left it (see WRITE_SCRIPT). */
  private readonly sequence = new SequenceTracker();
  private readonly inFlight: InFlightWrite;
  private outageLogged = false;
  private lastOomLog = Number.NEGATIVE_INFINITY;
  private waiters: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(private readonly options: RedisSinkOptions) {
    this.keys = createKeys(options.prefix);
    const target = parseRedisTarget(options.url);
    if (typeof target === "string") throw new WikistreamError("usage", `--redis-url ${target}`);
    this.target = target;
    this.where = target.display;
    this.lockTtlMs = options.lockTtlMs ?? LOCK_TTL_MS;
    this.inFlight = new InFlightWrite({ log: options.log, where: this.where, observer: options.observer });
    this.now = options.now ?? Date.now;
    this.feedNotes = new FeedNotes(this.keys.feed, options.log);
    const { prefix, windowMs, retainMs = 0, rollups = [], rollupRetainMs = 0, feed = false } = options;
    this.context = { keys: this.keys, prefix, db: resolveScriptDatabase(target), lockTtlMs: this.lockTtlMs, windowMs, retainMs, rollups, rollupRetainMs, feed };
    this.lock = new PrefixLock({
      key: this.keys.lock,
      db: resolveScriptDatabase(target),
      prefix: options.prefix,
      ttlMs: this.lockTtlMs,
      log: options.log,
      now: this.now,
      onOom: (error) => this.logOom(error, "cannot take the lock yet"),
      standby: options.standby,
      onStandby: (standing) => options.observer?.onStandby?.(standing),
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

  /** The error that ends the run, or undefined to retry (READONLY from a demoted master too). */
  private toFatal(error: unknown): WikistreamError | undefined {
    if (error instanceof WikistreamError) return error;
    return describeFatalRedisError(error, this.where, { readonlyPasses: this.target.kind !== "single", prefix: this.options.prefix });
  }

  async open(): Promise<Checkpoint | null> {
    const { client, release } = await connectRedis({
      url: this.options.url,
      target: this.target,
      log: this.options.log,
      ca: this.options.ca,
      fail: (error) => this.fail(error),
      abandoned: this.failed,
      onWaiting: (waiting) => this.options.observer?.onWaiting(waiting),
      allowEviction: this.options.allowEviction,
      onReady: () => {
        this.sequence.reconnected();
        if (!this.queue.isEmpty()) this.schedule(0);
      },
    });
    this.redis = client;
    this.releaseConsole = release;
    let fields: Record<string, string>;
    try {
      const { prefix, windowMs, windowRange: range, feed = false } = this.options;
      await inspectPrefix(client, this.keys, { prefix, windowMs, range, db: resolveScriptDatabase(this.target), feed });
      if (!feed) await checkFeedLeftOut(client, this.keys, prefix, this.options.log);
      await this.lock.acquire(client);
      this.lockTimer = setInterval(() => void this.refreshLock(), Math.max(500, Math.floor(this.lockTtlMs / 3)));
      fields = await client.hgetall(this.keys.checkpoint);
      await this.sequence.open(client, fields.seq ?? "");
    } catch (error) {
      // A refusal at start (read-only replica, ACL) is as final as one during the run: say so plainly.
      throw this.toFatal(error) ?? error;
    }
    return parseCheckpointFields(fields, this.keys.checkpoint);
  }

  private logOom(error: unknown, waiting: string): void {
    if (this.now() - this.lastOomLog <= OOM_LOG_INTERVAL_MS) return;
    this.lastOomLog = this.now();
    this.options.log.error(`Redis at ${this.where} is out of memory (${describeRedisCause(error)}); ${waiting}: free memory or raise maxmemory, retrying`);
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
    return this.queue.size + this.inFlight.countOutside((start) => this.queue.has(start));
  }

  describeInFlight(): string | undefined {
    return this.inFlight.describe();
  }

  written(): number {
    return this.writes;
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
    const started = performance.now();
    // One time for the whole write: the checkpoint's updated_ms tells a lost reply (verdict.ts).
    const sentAt = this.now();
    this.inFlight.begin(unit, this.sequence.next());
    let outcome: WriteOutcome;
    try {
      outcome = await sendWrite(client, unit, { ...this.context, lockText: this.lock.text, seq: this.sequence.seq, now: () => sentAt });
    } catch (error) {
      this.inFlight.end("failed");
      this.writing = false;
      this.queue.putBack(unit);
      if (classifyRedisError(error) === "connection") this.sequence.unansweredWrite(sentAt);
      return this.retry(error);
    }
    this.inFlight.end(outcome.kind === "ok" ? "landed" : "was refused");
    this.writing = false;
    if (outcome.kind === "stale") return this.onStale(client, unit, outcome.found, outcome.foundUpdatedMs);
    this.sequence.landed(client, outcome.seq);
    this.feedNotes.add(outcome);
    this.writes++;
    const final = unit.windows.filter((w) => w.final).length;
    this.options.observer?.onWrite(performance.now() - started, final, unit.windows.length - final);
    if (this.outageLogged) this.options.log.info(`Redis writes resumed (${formatCount(unit.windows.length, "window")} caught up)`);
    this.outageLogged = false;
    this.failures = 0;
    for (const window of unit.windows) {
      this.options.log.debug(`wrote window ${formatInstant(window.startMs)}: ${formatCount(window.total, "change")}${window.final ? ", final" : ""}`);
    }
    this.wake();
    if (!this.queue.isEmpty()) this.schedule(0);
  }

  /** The checkpoint is not the one this writer left: carry on after a lost reply, else say why and start again. */
  private async onStale(client: RedisClient, unit: WriteUnit, found: string, foundUpdatedMs: string): Promise<void> {
    this.queue.putBack(unit);
    const { verdict, message } = await this.sequence.judge(client, found, foundUpdatedMs, { prefix: this.options.prefix, where: this.where });
    this.options.observer?.onError(verdict);
    if (verdict !== "reply_lost") return this.fail(new WikistreamError("stale", message));
    this.options.log.info(message);
    this.schedule(0);
  }

  private retry(error: unknown): void {
    const kind = error instanceof WikistreamError ? error.type : classifyRedisError(error);
    this.options.observer?.onError(kind);
    const bad = this.toFatal(error);
    if (bad) return this.fail(bad);
    if (kind === "connection") this.options.observer?.onWaiting(true);
    this.failures++;
    const waiting = `${formatCount(this.queue.size, "window")} ${this.queue.size === 1 ? "waits" : "wait"} in memory`;
    if (classifyRedisError(error) === "oom") {
      this.logOom(error, waiting);
    } else if (!this.outageLogged) {
      this.outageLogged = true;
      this.options.log.warn(`cannot write to Redis at ${this.where} (${describeRedisCause(error)}); ${waiting}, retrying`);
    }
    this.schedule(resolveBackoff(this.failures, RETRY_POLICY));
  }

  async close(): Promise<void> {
    this.feedNotes.report();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.lockTimer !== undefined) clearInterval(this.lockTimer);
    const client = this.redis;
    if (!client) return;
    // Also after a fatal refusal (a restart takes it straight back); a lock lost is not ours to delete.
    if (client.status === "ready") {
      await Promise.race([this.lock.release(client).catch(() => undefined), Bun.sleep(300)]);
    }
    client.disconnect();
    this.releaseConsole?.();
  }
}

