import { hostname } from "node:os";
import type { Redis as RedisClient, RedisOptions } from "ioredis";
import { formatRedisUrl, type OutputFormat } from "./config.ts";
import { WikistreamError, formatError } from "./error.ts";
import { formatWindowJson, formatWindowText } from "./format.ts";
import type { Logger } from "./log.ts";
import type { Checkpoint, WindowBatch, WindowSnapshot } from "./window.ts";
import { VERSION } from "./version.ts";

/** Where finished windows go. Writes are queued and never block the reader. */
export interface Sink {
  /** Connects and returns the saved checkpoint, or null when there is none (or the sink keeps none). */
  open(): Promise<Checkpoint | null>;
  /** Queues a batch; later batches supersede earlier ones window by window. */
  write(batch: WindowBatch): void;
  /** Windows queued but not yet written. */
  backlog(): number;
  /** Resolves once the backlog has room again. */
  writable(): Promise<void>;
  /** Resolves true once everything queued is written, false after `timeoutMs` (or 1.5 s after `signal` aborts). */
  flush(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Rejects when the sink hits an error that retrying cannot fix; never resolves. */
  readonly failed: Promise<never>;
  close(): Promise<void>;
}

/** Options of createStdoutSink. */
export interface StdoutSinkOptions {
  format: OutputFormat;
  color: boolean;
  /** Writes text out; a returned promise is awaited before `flush` reports everything written. */
  write?: (text: string) => unknown;
}

/** Prints each window once it is final: a table on a terminal, or one JSON line per window. */
export function createStdoutSink(options: StdoutSinkOptions): Sink {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  let written: Promise<unknown> = Promise.resolve();
  // A window is reported incomplete when first seen, and printed once final, maybe later.
  const incomplete = new Set<number>();
  return {
    open: async () => null,
    write(batch) {
      for (const start of batch.incomplete) incomplete.add(start);
      let text = "";
      for (const window of batch.windows) {
        if (!window.final) continue;
        const partial = incomplete.delete(window.startMs);
        text += options.format === "jsonl" ? formatWindowJson(window, partial) : formatWindowText(window, { color: options.color, incomplete: partial });
      }
      if (text !== "") written = written.then(() => write(text));
    },
    backlog: () => 0,
    writable: async () => undefined,
    async flush(timeoutMs) {
      const done = written.then(
        () => true,
        () => false,
      );
      return Number.isFinite(timeoutMs) ? Promise.race([done, Bun.sleep(timeoutMs).then(() => false)]) : done;
    },
    failed: new Promise<never>(() => undefined),
    close: async () => undefined,
  };
}

/** The Redis keys of one prefix; `S` is a window start in Unix seconds. */
export function createKeys(prefix: string) {
  return {
    window: (startSeconds: number) => `${prefix}${startSeconds}`,
    epochIndex: `${prefix}epoch_index`,
    epochs: `${prefix}epochs`,
    incomplete: `${prefix}incomplete`,
    checkpoint: `${prefix}checkpoint`,
    lock: `${prefix}lock`,
  };
}

/** The checkpoint as Redis hash fields (all times Unix milliseconds; empty = none). */
export function formatCheckpointFields(checkpoint: Checkpoint, nowMs: number): Record<string, string> {
  const text = (n: number | null) => (n === null ? "" : String(n));
  return {
    id: checkpoint.resume.id ?? "",
    since_ms: text(checkpoint.resume.sinceMs),
    max_seen_ms: text(checkpoint.resume.maxSeenMs),
    recent: JSON.stringify(checkpoint.resume.recent),
    final_ms: text(checkpoint.finalMs),
    origin_ms: text(checkpoint.originMs),
    window_ms: String(checkpoint.windowMs),
    lateness_ms: String(checkpoint.latenessMs),
    updated_ms: String(nowMs),
    version: VERSION,
  };
}

/** Reads checkpoint hash fields back; null when absent, throws a `checkpoint` error when unreadable. */
export function parseCheckpointFields(fields: Record<string, string>, key: string): Checkpoint | null {
  if (Object.keys(fields).length === 0) return null;
  const num = (name: string): number | null => {
    const value = fields[name];
    if (value === undefined || value === "") return null;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new WikistreamError("checkpoint", `${key} field ${name} is '${value}', not a number: delete the key or run with --no-resume`);
    return n;
  };
  let recent: unknown;
  try {
    recent = JSON.parse(fields.recent ?? "[]");
  } catch {
    recent = null;
  }
  const windowMs = num("window_ms");
  const latenessMs = num("lateness_ms");
  if (!Array.isArray(recent) || !recent.every((r) => typeof r === "string") || windowMs === null || latenessMs === null) {
    throw new WikistreamError("checkpoint", `${key} is not a wikistream checkpoint: delete the key, choose another --prefix, or run with --no-resume`);
  }
  return {
    resume: { id: fields.id ? fields.id : null, sinceMs: num("since_ms"), maxSeenMs: num("max_seen_ms"), recent },
    finalMs: num("final_ms"),
    originMs: num("origin_ms"),
    windowMs,
    latenessMs,
  };
}

// epoch_index only moves forward, whatever order writes land in.
const MAX_SCRIPT = `local cur = tonumber(redis.call('GET', KEYS[1]))
if cur == nil or cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;
// Keep the lock if it is ours, take it again if it vanished (a Redis restart without persistence).
const REFRESH_SCRIPT = `local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if cur == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const TAKEOVER_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0`;

const WATCH_CONFLICT = new Error("the lock key changed between WATCH and EXEC");

/** Options of createRedisSink. */
export interface RedisSinkOptions {
  url: string;
  prefix: string;
  log: Logger;
  /** PEM text of extra CAs for rediss://. */
  ca?: string;
  /** Windows queued before `writable()` holds the reader. */
  maxBacklog?: number;
  lockTtlMs?: number;
  now?: () => number;
}

type ErrorKind = "auth" | "readonly" | "tls" | "oom" | "transient";

/** Sorts a Redis or socket error into what to do about it. */
export function classifyRedisError(error: unknown): ErrorKind {
  const message = formatError(error);
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password|NOPERM/i.test(message)) return "auth";
  if (/^READONLY|read only replica/i.test(message)) return "readonly";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL|certificate/i.test(`${code} ${message}`)) return "tls";
  if (/^OOM/.test(message)) return "oom";
  return "transient";
}

interface LockHolder {
  token: string;
  host: string;
  pid: number;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "EPERM";
  }
}

/**
 * Writes windows to Redis: each batch is one MULTI/EXEC holding every window's full counts,
 * the index entries, epoch_index and the checkpoint. Unwritten batches merge in memory and
 * are retried in order; nothing is dropped while Redis is away.
 */
export function createRedisSink(options: RedisSinkOptions): Sink {
  const log = options.log;
  const keys = createKeys(options.prefix);
  const where = formatRedisUrl(options.url);
  const maxBacklog = options.maxBacklog ?? 2000;
  const lockTtlMs = options.lockTtlMs ?? 15_000;
  const now = options.now ?? Date.now;
  const lockValue: LockHolder = { token: crypto.randomUUID(), host: hostname(), pid: process.pid };
  const lockText = JSON.stringify(lockValue);

  let redis: RedisClient | undefined;
  let fail: (error: WikistreamError) => void = () => undefined;
  let fatal: WikistreamError | undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = (error) => {
      if (fatal) return;
      fatal = error;
      reject(error);
    };
  });
  failed.catch(() => undefined);

  const pending = new Map<number, WindowSnapshot>();
  const pendingIncomplete = new Set<number>();
  let pendingCheckpoint: Checkpoint | null = null;
  let writing = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let outageLogged = false;
  let lastOomLog = 0;
  let lockTimer: ReturnType<typeof setInterval> | undefined;
  let waiters: (() => void)[] = [];

  function toFatal(error: unknown): WikistreamError | undefined {
    const kind = classifyRedisError(error);
    const why = formatError(error);
    if (kind === "auth") return new WikistreamError("redis", `Redis at ${where} refused the credentials (${why}): check user and password in --redis-url or REDIS_URL`);
    if (kind === "readonly") return new WikistreamError("redis", `Redis at ${where} is a read-only replica: point --redis-url at the primary`);
    if (kind === "tls") return new WikistreamError("redis", `TLS with Redis at ${where} failed (${why}): pass the server's CA with --redis-ca FILE`);
    return undefined;
  }

  function notify(): void {
    if (pending.size > maxBacklog || writing) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  }

  async function open(): Promise<Checkpoint | null> {
    const { default: Redis } = await import("ioredis");
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    };
    if (options.url.startsWith("rediss:")) redisOptions.tls = options.ca ? { ca: options.ca } : {};
    const client = new Redis(options.url, redisOptions);
    redis = client;
    let waitingLogged = false;
    client.on("error", (error: unknown) => {
      const bad = toFatal(error);
      if (bad) {
        client.disconnect();
        fail(bad);
        return;
      }
      if (!waitingLogged && client.status !== "ready") {
        waitingLogged = true;
        log.warn(`waiting for Redis at ${where} (${formatError(error)})`);
      }
    });
    client.on("ready", () => {
      if (waitingLogged) log.info(`Redis at ${where} is up`);
      waitingLogged = false;
      if (pending.size > 0 || pendingCheckpoint) schedule(0);
    });
    const ready = new Promise<void>((resolve) => client.once("ready", () => resolve()));
    client.connect().catch(() => undefined);
    await Promise.race([ready, failed]);
    let fields: Record<string, string>;
    try {
      await acquireLock(client);
      lockTimer = setInterval(() => void refreshLock(), Math.max(500, Math.floor(lockTtlMs / 3)));
      fields = await client.hgetall(keys.checkpoint);
    } catch (error) {
      // A refusal at start (read-only replica, ACL) is as final as one during the run: say so plainly.
      throw (error instanceof WikistreamError ? undefined : toFatal(error)) ?? error;
    }
    return parseCheckpointFields(fields, keys.checkpoint);
  }

  function logOom(error: unknown, waiting: string): void {
    if (now() - lastOomLog <= 30_000) return;
    lastOomLog = now();
    log.error(`Redis at ${where} is out of memory (${formatError(error)}); ${waiting}: free memory or raise maxmemory, retrying`);
  }

  async function acquireLock(client: RedisClient): Promise<void> {
    const deadline = now() + lockTtlMs + 1000;
    let lastTtl = Number.POSITIVE_INFINITY;
    for (;;) {
      let taken: string | null;
      try {
        taken = await client.set(keys.lock, lockText, "PX", lockTtlMs, "NX");
      } catch (error) {
        // Out of memory is for the user to fix while we wait, as it is for window writes.
        if (classifyRedisError(error) !== "oom") throw error;
        logOom(error, "cannot take the lock yet");
        await Bun.sleep(250);
        continue;
      }
      if (taken === "OK") return;
      const current = await client.get(keys.lock);
      if (current === null) continue;
      let holder: Partial<LockHolder> = {};
      try {
        holder = JSON.parse(current) as Partial<LockHolder>;
      } catch {
        // Not ours to interpret: wait for it to expire like any foreign holder.
      }
      const who = `pid ${holder.pid ?? "?"} on ${holder.host ?? "?"}`;
      // Same host and pid but not our token: another container (both pid 1, say), so foreign.
      if (holder.host === lockValue.host && typeof holder.pid === "number" && holder.pid !== process.pid) {
        if (isProcessAlive(holder.pid)) {
          throw new WikistreamError("lock", `another wikistream (${who}) is writing to prefix '${options.prefix}': stop it, or give this one another --prefix`);
        }
        if ((await client.eval(TAKEOVER_SCRIPT, 1, keys.lock, current, lockText, lockTtlMs)) === 1) {
          log.debug(`took over the lock of a stopped wikistream (${who})`);
          return;
        }
        continue;
      }
      const ttl = await client.pttl(keys.lock);
      if (ttl > lastTtl + 250 || now() > deadline) {
        throw new WikistreamError("lock", `another wikistream (${who}) is writing to prefix '${options.prefix}': stop it, or give this one another --prefix`);
      }
      if (lastTtl === Number.POSITIVE_INFINITY) log.warn(`prefix '${options.prefix}' is locked by ${who}; waiting up to ${Math.ceil(lockTtlMs / 1000)}s for it to expire`);
      lastTtl = ttl;
      await Bun.sleep(250);
    }
  }

  async function refreshLock(): Promise<void> {
    if (!redis || redis.status !== "ready") return;
    try {
      if ((await redis.eval(REFRESH_SCRIPT, 1, keys.lock, lockText, lockTtlMs)) !== 1) {
        fail(new WikistreamError("lock", `another wikistream took over prefix '${options.prefix}' (our lock expired): stopping so the two cannot mix their windows`));
      }
    } catch (error) {
      const bad = toFatal(error);
      if (bad) fail(bad);
    }
  }

  function write(batch: WindowBatch): void {
    for (const window of batch.windows) pending.set(window.startMs, window);
    for (const start of batch.incomplete) pendingIncomplete.add(start);
    pendingCheckpoint = batch.checkpoint;
    schedule(0);
  }

  function schedule(delayMs: number): void {
    if (writing || fatal) return;
    if (retryTimer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(retryTimer);
    }
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void drain();
    }, delayMs);
  }

  async function drain(): Promise<void> {
    if (writing || fatal || !redis || (pending.size === 0 && pendingCheckpoint === null)) return;
    writing = true;
    const windows = [...pending.values()].sort((a, b) => a.startMs - b.startMs);
    const incomplete = [...pendingIncomplete];
    const checkpoint = pendingCheckpoint;
    pending.clear();
    pendingIncomplete.clear();
    pendingCheckpoint = null;
    try {
      await send(redis, windows, incomplete, checkpoint);
      if (outageLogged) log.info(`Redis writes resumed (${windows.length} windows caught up)`);
      outageLogged = false;
      failures = 0;
      writing = false;
      for (const window of windows) log.debug(`wrote window ${window.startMs / 1000} (${window.total} changes${window.final ? ", final" : ""})`);
    } catch (error) {
      writing = false;
      // Put the batch back under anything newer that arrived meanwhile; order is kept
      // because later snapshots of a window replace earlier ones whole.
      for (const window of windows) if (!pending.has(window.startMs)) pending.set(window.startMs, window);
      for (const start of incomplete) pendingIncomplete.add(start);
      if (pendingCheckpoint === null) pendingCheckpoint = checkpoint;
      // Our own lock refresh landed between WATCH and EXEC: nothing is wrong, write again.
      if (error === WATCH_CONFLICT) return schedule(0);
      const bad = error instanceof WikistreamError ? error : toFatal(error);
      if (bad) return fail(bad);
      failures++;
      const waiting = `${pending.size} windows wait in memory`;
      if (classifyRedisError(error) === "oom") {
        logOom(error, waiting);
      } else if (!outageLogged) {
        outageLogged = true;
        log.warn(`cannot write to Redis at ${where} (${formatError(error)}); ${waiting}, retrying`);
      }
      schedule(Math.min(100 * 2 ** Math.min(failures, 5), 2000));
      return;
    }
    notify();
    if (pending.size > 0 || pendingCheckpoint !== null) schedule(0);
  }

  async function send(client: RedisClient, windows: WindowSnapshot[], incomplete: number[], checkpoint: Checkpoint | null): Promise<void> {
    // Write only while the lock is ours: after an outage longer than its TTL another instance
    // may hold it, and the refresh timer could notice too late. WATCH makes EXEC fail if the
    // lock changes between this check and the write.
    await client.watch(keys.lock);
    const holder = await client.get(keys.lock);
    if (holder !== null && holder !== lockText) {
      await client.unwatch();
      throw new WikistreamError("lock", `another wikistream took over prefix '${options.prefix}' (our lock expired): stopping so the two cannot mix their windows`);
    }
    const multi = client.multi();
    // The lock vanished (a Redis restart without persistence): take it back with this write.
    if (holder === null) multi.set(keys.lock, lockText, "PX", lockTtlMs);
    let newest = Number.NEGATIVE_INFINITY;
    for (const window of windows) {
      const start = window.startMs / 1000;
      const key = keys.window(start);
      const args: (string | number)[] = [];
      for (const [name, count] of window.counts) args.push(count, name);
      multi.del(key);
      multi.zadd(key, ...args);
      multi.zadd(keys.epochs, start, String(start));
      if (start > newest) newest = start;
    }
    if (incomplete.length > 0) multi.sadd(keys.incomplete, ...incomplete.map((ms) => String(ms / 1000)));
    if (Number.isFinite(newest)) multi.eval(MAX_SCRIPT, 1, keys.epochIndex, newest);
    if (checkpoint) multi.hset(keys.checkpoint, formatCheckpointFields(checkpoint, now()));
    let results: Awaited<ReturnType<typeof multi.exec>>;
    try {
      results = await multi.exec();
    } catch (error) {
      // EXECABORT hides why Redis refused a queued command (OOM, READONLY, NOAUTH…): report that instead.
      const previous: unknown = typeof error === "object" && error !== null && "previousErrors" in error ? error.previousErrors : undefined;
      throw (Array.isArray(previous) ? (previous as unknown[]).find((e) => e instanceof Error) : undefined) ?? error;
    }
    if (results === null) throw WATCH_CONFLICT;
    for (const [error] of results) if (error) throw error;
  }

  function flush(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const started = now();
      let abortedAt: number | undefined;
      const check = () => {
        if (fatal) return resolve(false);
        if (!writing && pending.size === 0 && pendingCheckpoint === null) return resolve(true);
        if (signal?.aborted && abortedAt === undefined) abortedAt = now();
        const limit = Math.min(started + timeoutMs, abortedAt === undefined ? Number.POSITIVE_INFINITY : abortedAt + 1500);
        if (now() >= limit) return resolve(false);
        if (!writing && retryTimer === undefined) schedule(0);
        setTimeout(check, 20);
      };
      check();
    });
  }

  async function close(): Promise<void> {
    if (retryTimer !== undefined) clearTimeout(retryTimer);
    if (lockTimer !== undefined) clearInterval(lockTimer);
    const client = redis;
    if (!client) return;
    if (client.status === "ready" && !fatal) {
      await Promise.race([client.eval(RELEASE_SCRIPT, 1, keys.lock, lockText).catch(() => undefined), Bun.sleep(300)]);
    }
    client.disconnect();
  }

  return {
    open,
    write,
    backlog: () => pending.size,
    writable: () => (pending.size <= maxBacklog && !fatal ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    flush,
    failed,
    close,
  };
}
