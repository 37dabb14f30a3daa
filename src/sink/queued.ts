/**
 * The queued-sink engine: what lies between the run and any store that keeps windows. Batches
 * are held and merged in memory while the store is away (queue.ts), written one unit at a time,
 * in order, retried with backoff, and reading pauses when too many wait (backpressure); a stop
 * counts a write still on its way as unwritten (inflight.ts). The store is an adapter
 * ({@link Store}: open, write one unit, judge a failure, close) that never retries by itself:
 * like a Redpanda Connect output, the engine owns retry and backoff.
 */
import { resolveBackoff, type BackoffPolicy } from "../lib/backoff.ts";
import { formatInstant } from "../lib/format.ts";
import type { WikistreamError } from "../lib/error.ts";
import type { Logger } from "../lib/log.ts";
import { formatCount } from "../lib/plural.ts";
import type { Sink, SinkObserver } from "../run/ports.ts";
import type { Checkpoint, WindowBatch } from "../window/types.ts";
import { InFlightWrite } from "./inflight.ts";
import { WriteQueue, type WriteUnit } from "./queue.ts";

/**
 * Windows held in memory while the store is away before reading pauses: about 17 hours of 30 s
 * windows, or a minute of catching up at full speed; a few MB at most.
 */
export const MAX_BACKLOG_WINDOWS = 2000;
/** Retry spacing for writes. */
const RETRY_POLICY: BackoffPolicy = { baseMs: 100, maxMs: 2000 };

/** What the engine lends a store while it is open. */
export interface StoreHooks {
  /** Ends the run with an error that retrying cannot fix (a lost lock, a refusal). */
  fail(error: WikistreamError): void;
  /** Rejects once the run has failed: a store waiting for something (a server, a lock) gives up then. */
  readonly failed: Promise<never>;
  /** The store is reachable again: write what waits now rather than after the backoff. */
  ready(): void;
}

/** What the store made of one unit: written whole, or refused for a reason that {@link Store.judge} weighs. */
export type StoreAnswer = { kind: "landed" } | { kind: "refused"; reason: unknown };

/** What the engine does after a write failed (threw) or was refused; `kind` labels the error metric. */
export type Judgement =
  /**
   * Retry after a backoff. `cause` words the failure for the engine's line, said once per outage;
   * `say` replaces that line by the store's own, at the store's own cadence (an out-of-memory
   * Redis). `away`: the store cannot be reached (the run shows it waiting).
   */
  | { action: "retry"; kind: string; cause: string; away?: boolean; say?: (waiting: string) => void }
  /** Write again at once, after saying `note` (a write that landed though its answer was lost). */
  | { action: "again"; kind: string; note: string }
  /** End the run with `error`. */
  | { action: "fatal"; kind: string; error: WikistreamError };

/** A store adapter; see the module comment. */
export interface Store {
  /** The store in messages: alone ("Redis"), and with where it is ("Redis at redis://127.0.0.1:6379"). */
  readonly name: string;
  readonly at: string;
  /** Connects, checks and takes what it needs (a lock); resolves with the saved checkpoint, null for none. */
  open(hooks: StoreHooks): Promise<Checkpoint | null>;
  /** The name of the next write in the stop line (Redis: the sequence number it leaves). */
  nextWrite(): string;
  /** Writes one unit whole, or answers why it refused it; throws when the write failed. */
  write(unit: WriteUnit): Promise<StoreAnswer>;
  /** Weighs a thrown error or a refusal's reason. */
  judge(failure: unknown): Judgement | Promise<Judgement>;
  /** Lets go of what it holds (the lock, the connection); also after a failed open. */
  close(): Promise<void>;
}

/** What the engine reports to. */
interface QueuedSinkOptions {
  log: Logger;
  /** Told of every write, error and wait (status line, metrics). */
  observer?: SinkObserver;
  /** The wait before retry number `attempt` (1, 2, …); the shared backoff unless a test counts the attempts. */
  backoff?: (attempt: number) => number;
}

/** A sink that queues, merges and retries its writes into `store`; see the module comment. */
export function createQueuedSink(store: Store, options: QueuedSinkOptions): Sink {
  return new QueuedSink(store, options);
}

class QueuedSink implements Sink {
  readonly failed: Promise<never>;
  private fail: (error: WikistreamError) => void = () => undefined;
  private fatal: WikistreamError | undefined;
  private opened = false;
  private readonly queue = new WriteQueue();
  private readonly inFlight: InFlightWrite;
  private writing = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private writes = 0;
  private outageLogged = false;
  private waiters: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly options: QueuedSinkOptions,
  ) {
    this.inFlight = new InFlightWrite({ log: options.log, store: store.at, observer: options.observer });
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

  async open(): Promise<Checkpoint | null> {
    const ready = () => {
      if (!this.queue.isEmpty()) this.schedule(0);
    };
    const saved = await this.store.open({ fail: (error) => this.fail(error), failed: this.failed, ready });
    this.opened = true;
    return saved;
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

  async close(): Promise<void> {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.store.close();
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

  /** Writes everything waiting as one unit; a unit that fails goes back under anything newer. */
  private async drain(): Promise<void> {
    if (this.writing || this.fatal || !this.opened || this.queue.isEmpty()) return;
    this.writing = true;
    const unit = this.queue.take();
    const started = performance.now();
    this.inFlight.begin(unit, this.store.nextWrite());
    let answer: StoreAnswer;
    try {
      answer = await this.store.write(unit);
    } catch (error) {
      this.inFlight.end("failed");
      this.writing = false;
      this.queue.putBack(unit);
      return this.retry(error);
    }
    this.inFlight.end(answer.kind === "landed" ? "landed" : "was refused");
    this.writing = false;
    if (answer.kind === "refused") {
      this.queue.putBack(unit);
      return this.retry(answer.reason);
    }
    this.landed(unit, started);
  }

  private landed(unit: WriteUnit, started: number): void {
    const { log, observer } = this.options;
    this.writes++;
    const final = unit.windows.filter((w) => w.final).length;
    observer?.onWrite(performance.now() - started, final, unit.windows.length - final);
    if (this.outageLogged) log.info(`${this.store.name} writes resumed (${formatCount(unit.windows.length, "window")} caught up)`);
    this.outageLogged = false;
    this.failures = 0;
    for (const window of unit.windows) {
      log.debug(`wrote window ${formatInstant(window.startMs)}: ${formatCount(window.total, "change")}${window.final ? ", final" : ""}`);
    }
    this.wake();
    if (!this.queue.isEmpty()) this.schedule(0);
  }

  /** Does what the store's judgement says: end the run, write again at once, or wait and retry. */
  private async retry(failure: unknown): Promise<void> {
    const judgement = await this.store.judge(failure);
    const { log, observer } = this.options;
    observer?.onError(judgement.kind);
    if (judgement.action === "fatal") return this.fail(judgement.error);
    if (judgement.action === "again") {
      log.info(judgement.note);
      return this.schedule(0);
    }
    if (judgement.away) observer?.onWaiting(true);
    this.failures++;
    const waiting = `${formatCount(this.queue.size, "window")} ${this.queue.size === 1 ? "waits" : "wait"} in memory`;
    if (judgement.say) {
      judgement.say(waiting);
    } else if (!this.outageLogged) {
      this.outageLogged = true;
      log.warn(`cannot write to ${this.store.at} (${judgement.cause}); ${waiting}, retrying`);
    }
    this.schedule((this.options.backoff ?? ((attempt) => resolveBackoff(attempt, RETRY_POLICY)))(this.failures));
  }
}
