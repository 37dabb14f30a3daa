/**
 * What every command does with its process the same way: read the --redis-ca file, write to
 * stdout with its back-pressure (a closed pipe stops quietly), and end a failure in one line
 * with its exit code.
 */
import { readFileSync } from "node:fs";
import { WikistreamError, formatError } from "../lib/error.ts";
import type { Logger } from "../lib/log.ts";

/** The PEM text of --redis-ca, read once; undefined without one. */
export function readCaFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new WikistreamError("usage", `--redis-ca: cannot read ${file} (${formatError(error)}): give a PEM file`);
  }
}

/**
 * stdout as a writer: each write resolves once flushed; once the reader has gone (`| head`),
 * `stop` aborts and every later write is dropped at once.
 */
export function createStdoutWriter(log: Logger, stop: AbortController): (text: string) => Promise<void> {
  let closed = false;
  const close = (error: unknown) => {
    if (closed) return;
    closed = true;
    log.debug(`stdout closed (${formatError(error)}); stopping`);
    stop.abort();
  };
  process.stdout.on("error", close);
  return (text) =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) =>
          process.stdout.write(text, (error) => {
            if (error) close(error);
            resolve();
          }),
        );
}

/** Says a failure in one line (a stack with --verbose) and returns its exit code. */
export function reportFailure(error: unknown, log: Logger, verbose: boolean): number {
  const known = error instanceof WikistreamError;
  log.error(known ? error.message : `unexpected failure: ${formatError(error)}${verbose ? "" : " (run with --verbose for details)"}`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return known ? error.exitCode : 1;
}
