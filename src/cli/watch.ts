/**
 * Seeing a run work: the status line on a terminal (or a status row every 30 s with --verbose),
 * and the watch server (--listen), loaded only when asked so --help and --version stay quick.
 */
import { formatError } from "../lib/error.ts";
import { createLogger, resolveColor, type Logger } from "../lib/log.ts";
import { countRecentWindows, type Telemetry } from "../run/telemetry.ts";
import type { WindowView } from "../window/types.ts";
import { formatStats } from "../run/stats.ts";
import { findSinkProvider } from "../sink/registry.ts";
import type { Config } from "./config.ts";
import { STATUS_INTERVAL_MS, StatusLine, formatStatus } from "./status.ts";

/** How often --verbose logs a status row when there is no status line. */
const STATUS_ROW_INTERVAL_MS = 30_000;

/** The logger and the status line of a run, and how to stop them. */
export interface Watching {
  log: Logger;
  /**
   * Prints on stdout through `write` with the status line off meanwhile: on a terminal, stdout
   * and stderr are usually the same screen, and a window must not be glued onto the line.
   */
  printAround(write: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The live page's past, read from where the run writes once the run has reached it: the last
 * windows it holds. Not before: a Redis that is down, speaks TLS or refuses the user is the
 * run's to say (once, in its words, waiting or exiting), and a read at once would say it again.
 */
function createHistoryLoader(config: Config, log: Logger, ca: string | undefined, telemetry: Telemetry): (() => Promise<WindowView[]>) | undefined {
  const provider = findSinkProvider(config.redisUrl);
  const url = config.redisUrl;
  if (provider.readRecent === undefined || url === undefined) return undefined;
  const read = provider.readRecent.bind(provider);
  return async () => {
    await telemetry.storeReached;
    try {
      return await read({ url, prefix: config.prefix, ca, log }, countRecentWindows(config.windowMs));
    } catch (error) {
      // The page does without its past (it says so, and fills as windows close); the run goes on.
      log.warn(`the live page could not read its past windows: ${formatError(error)}`);
      throw error;
    }
  };
}

/**
 * Sets up what shows the run: the logger (text or JSON, clearing the status line before each
 * line), the status line or row, the telemetry's clock, and the watch server with --listen.
 */
export async function startWatching(config: Config, telemetry: Telemetry, env: Record<string, string | undefined>, ca?: string): Promise<Watching> {
  const color = resolveColor(process.stderr.isTTY === true, env);
  const onTerminal = process.stderr.isTTY === true && !config.quiet && config.logFormat === "text";
  const status = onTerminal
    ? new StatusLine(telemetry, (text) => process.stderr.write(text), () => process.stderr.columns || 80, color)
    : undefined;
  const log = createLogger({
    color,
    verbose: config.verbose,
    quiet: config.quiet,
    format: config.logFormat,
    beforeLine: () => status?.hold(),
    afterLine: () => status?.release(),
  });
  let rows = 0;
  const ticker = setInterval(() => {
    telemetry.tick();
    status?.draw();
    if (!status && config.verbose && ++rows % (STATUS_ROW_INTERVAL_MS / STATUS_INTERVAL_MS) === 0) {
      log.debug(`status: ${formatStatus(telemetry, Date.now())}; ${formatStats(telemetry.stats)}`);
    }
  }, STATUS_INTERVAL_MS);
  let server: { stop(): Promise<void> } | undefined;
  try {
    if (config.listen) {
      const { startWatchServer } = await import("../serve/server.ts");
      const live = { redis: findSinkProvider(config.redisUrl).keepsState, loadHistory: createHistoryLoader(config, log, ca, telemetry) };
      server = await startWatchServer({ address: config.listen, telemetry, log, live });
    }
  } catch (error) {
    clearInterval(ticker);
    status?.stop();
    throw error;
  }
  // Only a terminal on stdout can share the screen with the status line.
  const sharesScreen = status !== undefined && process.stdout.isTTY === true;
  return {
    log,
    async printAround(write) {
      if (!sharesScreen) return write();
      status.hold();
      try {
        await write();
      } finally {
        status.release();
      }
    },
    async stop() {
      clearInterval(ticker);
      status?.stop();
      await server?.stop();
    },
  };
}
