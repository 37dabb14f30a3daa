/**
 * The Redis store: the only module family that touches ioredis (loaded lazily, so --help and
 * --version never pay for it). The queued-sink engine (../queued.ts) holds, merges and retries
 * the writes; this adapter connects, checks the prefix's layout, holds its lock, sends each unit
 * as one script (see writer.ts for what one write holds) and judges what went wrong: a refusal
 * of a stale checkpoint (verdict.ts), an out-of-memory Redis, an error no retry fixes.
 */
import type { RedisClient } from "./client.ts";
import { WikistreamError } from "../../lib/error.ts";
import { formatCount } from "../../lib/plural.ts";
import { formatInstant } from "../../lib/format.ts";
import type { Sink } from "../../run/ports.ts";
import type { Checkpoint } from "../../window/types.ts";
import { createQueuedSink, type Judgement, type Store, type StoreAnswer, type StoreHooks } from "../queued.ts";
import type { WriteUnit } from "../queue.ts";
import { parseCheckpointFields } from "./checkpoint.ts";
import { connectRedis } from "./connection.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause } from "./errors.ts";
import { FeedNotes, checkFeedLeftOut } from "./feed-notes.ts";
import { PRESET_VIEWS, createKeys, type RedisKeys } from "./keys.ts";
import { inspectPrefix } from "./layout.ts";
import { PrefixLock, lockLostError } from "./lock.ts";
import type { RedisSinkOptions } from "./options.ts";
import { parseRedisTarget, resolveScriptDatabase, type RedisTarget } from "./url.ts";
import { SequenceTracker } from "./verdict.ts";
import { sendWrite, type WriteOutcome, type WriterContext } from "./writer.ts";

/** How long a lock lives without a refresh: how long a standby or a restart waits for a dead holder. */
const LOCK_TTL_MS = 15_000;
/** An out-of-memory Redis is reported at most this often (it is retried all along). */
const OOM_LOG_INTERVAL_MS = 30_000;

/** Creates the Redis sink: the queued-sink engine writing into the Redis store. */
export function createRedisSink(options: RedisSinkOptions): Sink {
  return createQueuedSink(new RedisStore(options), { log: options.log, observer: options.observer });
}

/** A write refused because the checkpoint is not the one this writer left (WRITE_SCRIPT's 'stale'). */
class StaleCheckpoint {
  constructor(
    readonly client: RedisClient,
    readonly found: string,
    readonly foundUpdatedMs: string,
  ) {}
}

class RedisStore implements Store {
  readonly name = "Redis";
  readonly at: string;
  private hooks: StoreHooks | undefined;
  private redis: RedisClient | undefined;
  private releaseConsole: (() => void) | undefined;
  private readonly keys: RedisKeys;
  private readonly target: RedisTarget;
  private readonly where: string;
  private readonly lock: PrefixLock;
  private readonly lockTtlMs: number;
  private readonly now: () => number;
  private readonly feedNotes: FeedNotes;
  /** What every write carries but the lock's value, the sequence number and the write's time. */
  private readonly context: Omit<WriterContext, "lockText" | "seq" | "now">;
  private lockTimer: ReturnType<typeof setInterval> | undefined;
  /** The write sequence number in the checkpoint as this writer left it (see WRITE_SCRIPT). */
  private readonly sequence = new SequenceTracker();
  private lastOomLog = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RedisSinkOptions) {
    this.keys = createKeys(options.prefix);
    const target = parseRedisTarget(options.url);
    if (typeof target === "string") throw new WikistreamError("usage", `--redis-url ${target}`);
    this.target = target;
    this.where = target.display;
    this.at = `Redis at ${this.where}`;
    this.lockTtlMs = options.lockTtlMs ?? LOCK_TTL_MS;
    this.now = options.now ?? Date.now;
    this.feedNotes = new FeedNotes(this.keys.feed, options.log);
    const { prefix, windowMs, retainMs = 0, rollups = [], rollupRetainMs = 0, feed = false, views = PRESET_VIEWS } = options;
    this.context = { keys: this.keys, prefix, db: resolveScriptDatabase(target), lockTtlMs: this.lockTtlMs, windowMs, retainMs, rollups, rollupRetainMs, feed, views };
    this.lock = new PrefixLock({
      key: this.keys.lock,
      db: this.context.db,
      prefix: options.prefix,
      ttlMs: this.lockTtlMs,
      log: options.log,
      now: this.now,
      onOom: (error) => this.logOom(error, "cannot take the lock yet"),
      standby: options.standby,
      onStandby: (standing) => options.observer?.onStandby?.(standing),
    });
  }

  /** The error that ends the run, or undefined to retry (READONLY from a demoted master too). */
  private toFatal(error: unknown): WikistreamError | undefined {
    if (error instanceof WikistreamError) return error;
    return describeFatalRedisError(error, this.where, { readonlyPasses: this.target.kind !== "single", prefix: this.options.prefix });
  }

  async open(hooks: StoreHooks): Promise<Checkpoint | null> {
    this.hooks = hooks;
    const { client, release } = await connectRedis({
      url: this.options.url,
      target: this.target,
      log: this.options.log,
      ca: this.options.ca,
      fail: hooks.fail,
      abandoned: hooks.failed,
      onWaiting: (waiting) => this.options.observer?.onWaiting(waiting),
      allowEviction: this.options.allowEviction,
      onReady: () => {
        this.sequence.reconnected();
        hooks.ready();
      },
    });
    this.redis = client;
    this.releaseConsole = release;
    let fields: Record<string, string>;
    try {
      const { prefix, windowMs, windowRange: range, feed = false } = this.options;
      await inspectPrefix(client, this.keys, { prefix, windowMs, range, db: this.context.db, feed, views: this.context.views });
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
      if (!(await this.lock.refresh(client))) this.hooks?.fail(lockLostError(this.options.prefix));
    } catch (error) {
      const bad = this.toFatal(error);
      if (bad) this.hooks?.fail(bad);
    }
  }

  nextWrite(): string {
    return this.sequence.next();
  }

  async write(unit: WriteUnit): Promise<StoreAnswer> {
    const client = this.redis;
    if (client === undefined) throw new WikistreamError("redis", `a write to ${this.at} before it was opened`);
    // One time for the whole write: the checkpoint's updated_ms tells a lost reply (verdict.ts).
    const sentAt = this.now();
    let outcome: WriteOutcome;
    try {
      outcome = await sendWrite(client, unit, { ...this.context, lockText: this.lock.text, seq: this.sequence.seq, now: () => sentAt });
    } catch (error) {
      if (classifyRedisError(error) === "connection") this.sequence.unansweredWrite(sentAt);
      throw error;
    }
    if (outcome.kind === "stale") return { kind: "refused", reason: new StaleCheckpoint(client, outcome.found, outcome.foundUpdatedMs) };
    this.sequence.landed(client, outcome.seq);
    this.feedNotes.add(outcome);
    return { kind: "landed" };
  }

  judge(failure: unknown): Judgement | Promise<Judgement> {
    if (failure instanceof StaleCheckpoint) return this.judgeStale(failure);
    const kind = failure instanceof WikistreamError ? failure.type : classifyRedisError(failure);
    const bad = this.toFatal(failure);
    if (bad) return { action: "fatal", kind, error: bad };
    const oom = kind === "oom";
    // A connection failure judged once the client is ready again is from before the reconnect (a
    // write rejected while Redis was down, its retry already due): Redis is not away any more,
    // and saying so would hold /readyz at 503 until the next write lands.
    const away = kind === "connection" && this.redis?.status !== "ready";
    return { action: "retry", kind, cause: describeRedisCause(failure), away, say: oom ? (waiting) => this.logOom(failure, waiting) : undefined };
  }

  /** The checkpoint is not the one this writer left: carry on after a lost reply, else say why and start again. */
  private async judgeStale(stale: StaleCheckpoint): Promise<Judgement> {
    const { verdict, message } = await this.sequence.judge(stale.client, stale.found, stale.foundUpdatedMs, { prefix: this.options.prefix, where: this.where });
    if (verdict === "reply_lost") return { action: "again", kind: verdict, note: message };
    return { action: "fatal", kind: verdict, error: new WikistreamError("stale", message) };
  }

  async close(): Promise<void> {
    this.feedNotes.report();
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
