/** The stdout sink: windows printed once final, as a table on a terminal or as JSON lines. */
import type { Sink, SinkObserver } from "../run/ports.ts";
import type { WindowBatch, WindowSnapshot } from "../window/types.ts";
import { toWire } from "../window/wire.ts";
import { formatWindowText } from "./format.ts";

/** Output format of the stdout sink. */
type OutputFormat = "text" | "jsonl";

/** Options of createStdoutSink. */
export interface StdoutSinkOptions {
  format: OutputFormat;
  color: boolean;
  /** Writes text out; a returned promise is awaited before `flush` reports everything written. */
  write?: (text: string) => unknown;
  /** Told of every write (status line, metrics). */
  observer?: SinkObserver;
}

/**
 * Printed windows waiting for a slow reader (a paused `less`, a full pipe) before reading from
 * the stream pauses too: a catch-up makes windows far faster than a person reads them, and
 * without a bound they would pile up in memory.
 */
const MAX_PENDING_WINDOWS = 2000;

/** Prints each window once it is final: a table on a terminal, or one JSON line per window. */
export function createStdoutSink(options: StdoutSinkOptions): Sink {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  let written: Promise<unknown> = Promise.resolve();
  let writes = 0;
  let pending = 0;
  // A window is reported incomplete when first seen, and printed once final, maybe later.
  const incomplete = new Set<number>();
  // A late event marks a window already printed: too late to say, and not kept (a live run would pile them up).
  let printedThrough = Number.NEGATIVE_INFINITY;
  const print = (windows: WindowSnapshot[], only: (window: WindowSnapshot) => boolean) => {
    const shown = windows.filter(only);
    if (shown.length === 0) return;
    let text = "";
    for (const window of shown) {
      const partial = incomplete.delete(window.startMs);
      if (window.final) printedThrough = Math.max(printedThrough, window.startMs);
      text += options.format === "jsonl" ? `${JSON.stringify(toWire(window, partial))}\n` : formatWindowText(window, { color: options.color, incomplete: partial });
    }
    const finals = shown.filter((w) => w.final).length;
    pending += shown.length;
    written = written.then(async () => {
      const started = performance.now();
      try {
        await write(text);
      } finally {
        pending -= shown.length;
      }
      writes++;
      options.observer?.onWrite(performance.now() - started, finals, shown.length - finals);
    });
  };
  return {
    open: async () => null,
    write(batch: WindowBatch) {
      for (const start of batch.incomplete) if (start > printedThrough) incomplete.add(start);
      print(batch.windows, (window) => window.final);
    },
    finish(open: WindowSnapshot[]) {
      print(open, (window) => window.total > 0);
    },
    backlog: () => pending,
    written: () => writes,
    // Settles once everything queued is written: reading then goes on with room to spare.
    hold: () =>
      pending <= MAX_PENDING_WINDOWS
        ? undefined
        : written.then(
            () => undefined,
            () => undefined,
          ),
    flush: () =>
      written.then(
        () => true,
        () => false,
      ),
    failed: new Promise<never>(() => undefined),
    close: async () => undefined,
  };
}
