/** The stdout sink: windows printed once final, as a table on a terminal or as JSON lines. */
import type { Sink, SinkObserver } from "../run/ports.ts";
import type { WindowBatch, WindowSnapshot } from "../window/types.ts";
import { formatWindowJson, formatWindowText } from "./format.ts";

/** Output format of the stdout sink. */
export type OutputFormat = "text" | "jsonl";

/** Options of createStdoutSink. */
export interface StdoutSinkOptions {
  format: OutputFormat;
  color: boolean;
  /** Writes text out; a returned promise is awaited before `flush` reports everything written. */
  write?: (text: string) => unknown;
  /** Told of every write (status line, metrics). */
  observer?: SinkObserver;
}

/** Prints each window once it is final: a table on a terminal, or one JSON line per window. */
export function createStdoutSink(options: StdoutSinkOptions): Sink {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  let written: Promise<unknown> = Promise.resolve();
  let writes = 0;
  // A window is reported incomplete when first seen, and printed once final, maybe later.
  const incomplete = new Set<number>();
  const print = (windows: WindowSnapshot[], only: (window: WindowSnapshot) => boolean) => {
    const shown = windows.filter(only);
    if (shown.length === 0) return;
    let text = "";
    for (const window of shown) {
      const partial = incomplete.delete(window.startMs);
      text += options.format === "jsonl" ? formatWindowJson(window, partial) : formatWindowText(window, { color: options.color, incomplete: partial });
    }
    const finals = shown.filter((w) => w.final).length;
    written = written.then(async () => {
      const started = performance.now();
      await write(text);
      writes++;
      options.observer?.onWrite(performance.now() - started, finals, shown.length - finals);
    });
  };
  return {
    open: async () => null,
    write(batch: WindowBatch) {
      for (const start of batch.incomplete) incomplete.add(start);
      print(batch.windows, (window) => window.final);
    },
    finish(open: WindowSnapshot[]) {
      print(open, (window) => window.total > 0);
    },
    backlog: () => 0,
    written: () => writes,
    hold: () => undefined,
    flush: () =>
      written.then(
        () => true,
        () => false,
      ),
    failed: new Promise<never>(() => undefined),
    close: async () => undefined,
  };
}
