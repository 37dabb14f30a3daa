/**
 * The EventStreams reader: fetch → Latin-1 text → whole lines → eventsource-parser → handler,
 * reconnecting forever with Last-Event-ID (or `?since=`) until stopped. The only module that
 * fetches the stream (`wikistream healthcheck`'s fetch asks another process's /healthz).
 */
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import { sleep, whenAborted } from "../lib/abort.ts";
import { resolveBackoff, type BackoffPolicy } from "../lib/backoff.ts";
import { WikistreamError } from "../lib/error.ts";
import { formatSeconds } from "../lib/format.ts";
import { describeNetworkError } from "../lib/network.ts";
import { readLatin1 } from "../lib/latin1.ts";
import type { Logger } from "../lib/log.ts";
import type { ReconnectCause, Source, SourceHandler } from "../run/ports.ts";
import { LineFramer } from "./framer.ts";
import { MemoryGuard, type MemoryPolicy } from "./memory.ts";
import { isEventStream, readBodyStart } from "./error-body.ts";
import { classifyResponse } from "./response.ts";
import { IdleWatchdog } from "./watchdog.ts";

/** Options of createSseSource. */
export interface SourceOptions {
  url: string;
  userAgent: string;
  idleTimeoutMs: number;
  maxEventBytes: number;
  log: Logger;
  fetch?: typeof fetch;
  random?: () => number;
  /** Longest wait between reconnects. */
  maxBackoffMs?: number;
  /** When events trickle in one by one, wait this long after each before reading on (0: never). */
  coalesceMs?: number;
  /** When to force a full garbage collection while reading (see memory.ts); absent: never. */
  memory?: MemoryPolicy;
}

/** First reconnect delay; the server may change it with an SSE `retry:` field. */
const BASE_BACKOFF_MS = 1000;
/** A chunk smaller than this that we had to wait for means a live trickle, worth batching. */
const TRICKLE_CHUNK_BYTES = 16_384;
/** Slack on the event size limit for the `data:` prefix and line end. */
const LINE_OVERHEAD_CHARS = 16;

/** Creates the EventStreams reader: fetch → Latin-1 text → eventsource-parser, reconnecting forever. */
export function createSseSource(options: SourceOptions): Source {
  return { run: (handler, signal) => new StreamReader(options, handler, signal).run() };
}

/** The state of one run of the source: attempts, backoff and what has been delivered. */
class StreamReader {
  private attempt = 0;
  private readonly policy: BackoffPolicy;
  private connectedOnce = false;
  private readonly memory: MemoryGuard | undefined;
  private readonly stopped: Promise<void>;

  constructor(
    private readonly options: SourceOptions,
    private readonly handler: SourceHandler,
    private readonly signal: AbortSignal,
  ) {
    this.policy = { baseMs: BASE_BACKOFF_MS, maxMs: options.maxBackoffMs ?? 30_000 };
    this.stopped = whenAborted(signal);
    this.memory = options.memory ? new MemoryGuard(options.memory) : undefined;
  }

  async run(): Promise<void> {
    while (!this.signal.aborted) {
      const delayMs = await this.connect();
      if (delayMs === undefined) return;
      await sleep(delayMs, this.signal);
    }
  }

  private backoff(): number {
    return resolveBackoff(++this.attempt, this.policy, this.options.random);
  }

  /** One connection, from request to end of stream. Returns the delay before the next one, or undefined when stopped. */
  private async connect(): Promise<number | undefined> {
    const { options, handler, signal } = this;
    const position = handler.position();
    const url = new URL(options.url);
    const headers: Record<string, string> = { Accept: "text/event-stream", "User-Agent": options.userAgent };
    if (position.id !== null) headers["Last-Event-ID"] = position.id;
    else if (position.sinceMs !== null) url.searchParams.set("since", new Date(position.sinceMs).toISOString());

    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const watchdog = new IdleWatchdog(options.idleTimeoutMs, controller);
    try {
      let response: Response;
      try {
        response = await (options.fetch ?? fetch)(url, { headers, signal: controller.signal, redirect: "follow" });
      } catch (error) {
        if (signal.aborted) return undefined;
        const why = watchdog.fired ? `no response within ${options.idleTimeoutMs}ms` : describeNetworkError(error);
        return this.retryLater(`cannot reach ${options.url} (${why})`, `cannot reach ${url.host} (${why})`, watchdog.fired ? "idle" : "network");
      }
      watchdog.touch();
      const contentType = response.headers.get("content-type") ?? "";
      // An answer that is not the stream is read for its message only: a few KiB, within one
      // idle timeout (the watchdog is not touched again), then the connection is dropped.
      const body = isEventStream(response.status, contentType) ? "" : await readBodyStart(response, controller);
      const action = classifyResponse({
        status: response.status,
        contentType,
        retryAfter: response.headers.get("retry-after"),
        body,
        sentId: position.id !== null,
        url: url.toString(),
        userAgent: options.userAgent,
        nowMs: Date.now(),
      });
      switch (action.kind) {
        case "fatal":
          throw action.error;
        case "resume-rejected": {
          const sinceMs = handler.onResumeRejected();
          options.log.warn(`the stream refused the saved position (${action.why}); resuming from ${new Date(sinceMs).toISOString()} instead`);
          handler.onDisconnect?.("400", 0, `the server refused the saved position (${action.why})`);
          return 0;
        }
        case "retry":
          return this.retryLater(`${options.url} ${action.why}`, `the server ${action.why}`, action.cause, action.retryAfterMs);
        case "read":
          if (response.body === null) return this.reconnectAfter(this.backoff(), "other", "the server answered without a body");
          this.announce(position);
          return await this.read(response.body, watchdog);
      }
    } finally {
      watchdog.stop();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Logs `what` (naming the URL) and retries after the backoff; `error` is the same without the URL, for /readyz and the page. */
  private retryLater(what: string, error: string, cause: ReconnectCause, retryAfterMs?: number): number {
    const delayMs = retryAfterMs ?? this.backoff();
    if (retryAfterMs !== undefined) this.attempt++;
    this.options.log.warn(`${what}; retrying in ${formatSeconds(delayMs)}`);
    return this.reconnectAfter(delayMs, cause, error);
  }

  /** Tells the handler why (`error`, absent for a clean end) and when the next attempt comes; returns the delay. */
  private reconnectAfter(delayMs: number, cause: ReconnectCause, error?: string): number {
    this.handler.onDisconnect?.(cause, delayMs, error);
    return delayMs;
  }

  private announce(position: { id: string | null; sinceMs: number | null }): void {
    const { log, url } = this.options;
    if (this.connectedOnce) log.debug(`reconnected to ${url}`);
    else log.info(`connected to ${url}${position.id !== null ? " (resuming)" : position.sinceMs !== null ? ` (since ${new Date(position.sinceMs).toISOString()})` : ""}`);
    this.connectedOnce = true;
    this.handler.onConnect();
  }

  /** Reads one response body to its end; returns the delay before reconnecting, or undefined when stopped. */
  private async read(body: ReadableStream<Uint8Array>, watchdog: IdleWatchdog): Promise<number | undefined> {
    const { options, signal } = this;
    const counter = { delivered: 0 };
    const framer = this.createFramer(counter);
    const reader = body.getReader();
    let broke: string | undefined;
    try {
      for (;;) {
        const asked = performance.now();
        const { done, value } = await reader.read();
        if (done) break;
        watchdog.touch();
        framer.push(readLatin1(value));
        this.memory?.onBytes(value.byteLength);
        await this.pause(value.byteLength, asked, watchdog);
        if (signal.aborted) break;
      }
    } catch (error) {
      if (signal.aborted) return undefined;
      if (error instanceof WikistreamError) throw error;
      broke = watchdog.fired ? `no data for ${options.idleTimeoutMs}ms` : `the connection broke (${describeNetworkError(error)})`;
      options.log.debug(`${broke}; reconnecting`);
    } finally {
      reader.cancel().catch(() => undefined);
    }
    if (signal.aborted) return undefined;
    // A connection that delivered events ended normally (the server drops every connection about
    // every 15 minutes): reconnect at once. One that delivered nothing counts as a failed attempt.
    if (counter.delivered > 0) this.attempt = 0;
    const delayMs = counter.delivered > 0 ? 0 : this.backoff();
    options.log.debug(`stream ended after ${counter.delivered} events; reconnecting in ${formatSeconds(delayMs)}`);
    const error = broke ?? (watchdog.fired ? `no data for ${options.idleTimeoutMs}ms` : counter.delivered > 0 ? undefined : "the server ended the stream before its first event");
    return this.reconnectAfter(delayMs, watchdog.fired ? "idle" : counter.delivered > 0 ? "drop" : "other", error);
  }

  /**
   * Holds reading after a chunk: while the handler asks (backpressure; a stop must not wait for
   * the sink, Redis may be away for long), and for a moment on a live trickle (a small chunk we
   * had to wait for), so events gather instead of waking us one by one. Buffered data is read on
   * without pause.
   */
  private async pause(bytes: number, asked: number, watchdog: IdleWatchdog): Promise<void> {
    const wait = this.handler.onChunk();
    if (wait !== undefined) {
      watchdog.hold(true);
      await Promise.race([wait, this.stopped]);
      watchdog.hold(false);
    }
    const coalesceMs = this.options.coalesceMs ?? 0;
    if (coalesceMs > 0 && !this.signal.aborted && bytes < TRICKLE_CHUNK_BYTES && watchdog.lastActivity() - asked > 2) {
      watchdog.hold(true);
      await sleep(coalesceMs, this.signal);
      watchdog.hold(false);
    }
  }

  /** The line framer and SSE parser of one connection, delivering events to the handler. */
  private createFramer(counter: { delivered: number }): LineFramer {
    const { options, handler } = this;
    let oversized = false;
    const parser: EventSourceParser = createParser({
      onEvent(event: EventSourceMessage) {
        // Only a cut `data:` line makes this event oversized, and its kept part alone is over the
        // limit; a cut comment or unknown line before it costs nothing.
        const cut = oversized && event.data.length > options.maxEventBytes;
        oversized = false;
        counter.delivered++;
        const type = event.event;
        if (type === undefined || type === "message") handler.onMessage(event.id, event.data, cut);
        else handler.onOtherEvent(type, event.data);
      },
      onRetry: (ms: number) => {
        this.policy.baseMs = Math.max(100, ms);
      },
    });
    return new LineFramer({
      limitChars: options.maxEventBytes + LINE_OVERHEAD_CHARS,
      emit: (text) => parser.feed(text),
      onCut: () => {
        oversized = true;
      },
    });
  }
}
