import { createParser, type EventSourceMessage } from "eventsource-parser";
import { WikistreamError, formatError } from "./error.ts";
import type { Logger } from "./log.ts";

/**
 * What the source calls while it reads. `onMessage` runs synchronously for every event.
 * Event text arrives as Latin-1 (one character per byte, see {@link decodeLatin1}): decoding
 * UTF-8 for every byte costs more than the rest of the hot path, and all wikistream reads of
 * an event is ASCII in practice, so only the rare non-ASCII field is decoded, by the handler.
 */
export interface SourceHandler {
  /** A `message` event (or one without a type). `oversized` when it exceeded the size limit and was cut. */
  onMessage(id: string | undefined, data: string, oversized: boolean): void;
  /** An event of any other type; `error` events from the server land here too. */
  onOtherEvent(type: string, data: string): void;
  /** Called after each network chunk; a returned promise holds reading until it settles (backpressure). */
  onChunk(): Promise<void> | undefined;
  /** A connection was accepted (HTTP 200 with an event stream). */
  onConnect(): void;
  /** Where to resume: the last event id, else a start time, else live. */
  position(): { id: string | null; sinceMs: number | null };
  /** The server refused our Last-Event-ID (HTTP 400). Returns the time to resume from with `?since=`. */
  onResumeRejected(): number;
}

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
}

/** A reconnecting reader of one SSE endpoint. */
export interface Source {
  /** Reads until `signal` aborts (resolves) or a fatal error (rejects). */
  run(handler: SourceHandler, signal: AbortSignal): Promise<void>;
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Exponential backoff with jitter: attempt 0 waits 0, then about base·2^(n-1), capped. */
export function resolveBackoff(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  if (attempt <= 0) return 0;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Resolves once `signal` aborts (at once if it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function describeFetchError(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  const message = formatError(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Creates the EventStreams reader: fetch → Latin-1 text → eventsource-parser, reconnecting forever. */
export function createSseSource(options: SourceOptions): Source {
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const coalesceMs = options.coalesceMs ?? 0;
  const log = options.log;

  async function run(handler: SourceHandler, signal: AbortSignal): Promise<void> {
    const stopped = whenAborted(signal);
    let attempt = 0;
    let baseMs = 1000;
    let connectedOnce = false;
    while (!signal.aborted) {
      const position = handler.position();
      const url = new URL(options.url);
      const headers: Record<string, string> = { Accept: "text/event-stream", "User-Agent": options.userAgent };
      if (position.id !== null) headers["Last-Event-ID"] = position.id;
      else if (position.sinceMs !== null) url.searchParams.set("since", new Date(position.sinceMs).toISOString());

      const controller = new AbortController();
      const onAbort = () => controller.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      let lastActivity = performance.now();
      let idleFired = false;
      // While the handler holds reading (backpressure), silence is ours, not the server's.
      let holding = false;
      const watchdog = setInterval(
        () => {
          if (!holding && performance.now() - lastActivity >= options.idleTimeoutMs) {
            idleFired = true;
            controller.abort();
          }
        },
        Math.max(25, Math.min(1000, options.idleTimeoutMs / 4)),
      );
      let delayMs: number | undefined;
      let delivered = 0;
      try {
        let response: Response;
        try {
          response = await doFetch(url, { headers, signal: controller.signal, redirect: "follow" });
        } catch (error) {
          if (signal.aborted) return;
          attempt++;
          const why = idleFired ? `no response within ${options.idleTimeoutMs}ms` : describeFetchError(error);
          delayMs = resolveBackoff(attempt, baseMs, maxBackoffMs, random);
          log.warn(`cannot reach ${options.url} (${why}); retrying in ${(delayMs / 1000).toFixed(1)}s`);
          continue;
        }
        lastActivity = performance.now();
        const status = response.status;
        if (status !== 200) {
          const body = (await response.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 200);
          if (status === 400 && position.id !== null) {
            const sinceMs = handler.onResumeRejected();
            log.warn(`the stream refused the saved position (HTTP 400: ${body}); resuming from ${new Date(sinceMs).toISOString()} instead`);
            delayMs = 0;
            continue;
          }
          if (status === 403) {
            throw new WikistreamError(
              "forbidden",
              `the stream refused us (HTTP 403${body ? `: ${body}` : ""}). Wikimedia requires a descriptive User-Agent with contact details: pass --user-agent "yourtool/1.0 (you@example.org)" (sent: "${options.userAgent}")`,
            );
          }
          if (status === 429 || status >= 500 || status === 408) {
            attempt++;
            const retryAfter = status === 429 || status === 503 ? parseRetryAfter(response.headers.get("retry-after"), Date.now()) : undefined;
            delayMs = retryAfter ?? resolveBackoff(attempt, baseMs, maxBackoffMs, random);
            const hint = status === 429 ? " (Wikimedia allows 2 connections per IP: is another client running?)" : "";
            log.warn(`the stream answered HTTP ${status}${hint}; retrying in ${(delayMs / 1000).toFixed(1)}s`);
            continue;
          }
          throw new WikistreamError("http", `the stream answered HTTP ${status}${body ? `: ${body}` : ""} for ${url.toString()}: check --url`);
        }
        const contentType = response.headers.get("content-type") ?? "";
        if (!contentType.toLowerCase().includes("text/event-stream")) {
          await response.body?.cancel().catch(() => undefined);
          attempt++;
          delayMs = resolveBackoff(attempt, baseMs, maxBackoffMs, random);
          log.warn(`${options.url} sent '${contentType || "no content type"}', not text/event-stream (a proxy page?); retrying in ${(delayMs / 1000).toFixed(1)}s`);
          continue;
        }
        if (response.body === null) {
          attempt++;
          delayMs = resolveBackoff(attempt, baseMs, maxBackoffMs, random);
          continue;
        }
        if (connectedOnce) log.debug(`reconnected to ${options.url}`);
        else log.info(`connected to ${options.url}${position.id !== null ? " (resuming)" : position.sinceMs !== null ? ` (since ${new Date(position.sinceMs).toISOString()})` : ""}`);
        connectedOnce = true;
        handler.onConnect();

        let oversized = false;
        const limitChars = options.maxEventBytes + 16;
        const parser = createParser({
          onEvent(event: EventSourceMessage) {
            const type = event.event;
            // Only a cut `data:` line makes this event oversized, and its kept part alone is over the
            // limit; a cut comment or unknown line before it costs nothing.
            const cut = oversized && event.data.length > options.maxEventBytes;
            oversized = false;
            delivered++;
            if (type === undefined || type === "message") handler.onMessage(event.id, event.data, cut);
            else handler.onOtherEvent(type, event.data);
          },
          onRetry(ms: number) {
            baseMs = Math.max(100, ms);
          },
        });
        // Feeds the parser complete lines only, keeping the partial last line here: the parser
        // would otherwise join it with the whole next chunk (a copy of every chunk). A line
        // longer than the event size limit is cut, the rest dropped, and the event reported
        // as oversized.
        let carry = "";
        let skipping = false;
        const cutLine = (line: string) => {
          parser.feed(line.slice(0, limitChars));
          oversized = true;
          skipping = true;
          carry = "";
        };
        const feed = (text: string) => {
          let chunk = text;
          if (skipping) {
            const end = findLineEnd(chunk, 0);
            if (end === -1) return;
            skipping = false;
            chunk = chunk.slice(end);
          }
          const lastEnd = findLastLineEnd(chunk);
          if (lastEnd === -1) {
            carry += chunk;
            if (carry.length > limitChars) cutLine(carry);
            return;
          }
          let from = 0;
          if (carry !== "") {
            const firstEnd = findLineEnd(chunk, 0);
            if (carry.length + firstEnd > limitChars) {
              // The terminator goes with the rest of the chunk, ending the cut line.
              cutLine(carry + chunk.slice(0, Math.max(0, limitChars - carry.length)));
              skipping = false;
              from = firstEnd;
            } else {
              // With its terminator, so the parser holds nothing back to join with what follows.
              parser.feed(carry + chunk.slice(0, firstEnd + 1));
              from = firstEnd + 1;
            }
            carry = "";
          }
          if (lastEnd >= from) parser.feed(from === 0 && lastEnd === chunk.length - 1 ? chunk : chunk.slice(from, lastEnd + 1));
          const tail = chunk.slice(lastEnd + 1);
          if (tail.length > limitChars) cutLine(tail);
          else carry = tail;
        };

        const reader = response.body.getReader();
        try {
          for (;;) {
            const asked = performance.now();
            const { done, value } = await reader.read();
            if (done) break;
            lastActivity = performance.now();
            feed(readLatin1(value));
            collectGarbageEvery(value.byteLength);
            const wait = handler.onChunk();
            if (wait !== undefined) {
              holding = true;
              // A stop must not wait for the sink to catch up (Redis may be away for long).
              await Promise.race([wait, stopped]);
              holding = false;
              lastActivity = performance.now();
            }
            if (signal.aborted) break;
            // A live trickle (we waited for a small chunk): let events gather for a moment
            // instead of waking up for each one. Buffered data is still read without pause.
            if (coalesceMs > 0 && value.byteLength < 16_384 && lastActivity - asked > 2) {
              holding = true;
              await sleep(coalesceMs, signal);
              holding = false;
              lastActivity = performance.now();
            }
          }
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof WikistreamError) throw error;
          log.debug(idleFired ? `no data for ${options.idleTimeoutMs}ms; reconnecting` : `stream broke (${describeFetchError(error)}); reconnecting`);
        } finally {
          reader.cancel().catch(() => undefined);
        }
        if (signal.aborted) return;
        if (delivered > 0) attempt = 0;
        else attempt++;
        delayMs = resolveBackoff(attempt, baseMs, maxBackoffMs, random);
        log.debug(`stream ended after ${delivered} events; reconnecting in ${(delayMs / 1000).toFixed(1)}s`);
      } finally {
        clearInterval(watchdog);
        signal.removeEventListener("abort", onAbort);
        if (delayMs !== undefined && !signal.aborted) await sleep(delayMs, signal);
      }
    }
  }

  return { run };
}

// Catching up reads hundreds of MB/s of short-lived strings; left to its own pace the collector
// lets the heap swell to several times what is live. A full collection every 8 MiB read keeps
// peak memory flat at ~75-90 MB for a few ms each (measured: ~130-180 MB peak without, ~100 at 16 MiB).
const GC_INTERVAL_BYTES = 8 * 1024 * 1024;
let bytesSinceGc = 0;

function collectGarbageEvery(bytes: number): void {
  bytesSinceGc += bytes;
  if (bytesSinceGc < GC_INTERVAL_BYTES) return;
  bytesSinceGc = 0;
  Bun.gc(true);
}

/** Bytes as a Latin-1 string: one character per byte, stored by the engine as 8-bit text. */
function readLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Turns Latin-1 text from the source (one character per byte) back into the UTF-8 it carried. */
export function decodeLatin1(text: string): string {
  return Buffer.from(text, "latin1").toString("utf8");
}

/** Index of the last CR or LF, or -1; looks for CR only after the last LF (CR-only streams are rare). */
function findLastLineEnd(text: string): number {
  const lf = text.lastIndexOf("\n");
  const cr = text.indexOf("\r", lf + 1);
  return cr === -1 ? lf : text.lastIndexOf("\r");
}

/** Index of the first CR or LF at or after `from`, or -1. */
function findLineEnd(text: string, from: number): number {
  const lf = text.indexOf("\n", from);
  const cr = text.indexOf("\r", from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}
