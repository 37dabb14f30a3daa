/**
 * The composition root: turns a Config into a source, a sink and a clock, runs the pipeline,
 * and maps what happened to an exit code and one line on stderr.
 */
import { sleep } from "../lib/abort.ts";
import { WikistreamError } from "../lib/error.ts";
import { createLogger, resolveColor, type Logger } from "../lib/log.ts";
import type { Sink } from "../run/ports.ts";
import { runPipeline } from "../run/run.ts";
import { Telemetry, countRecentWindows } from "../run/telemetry.ts";
import type { SinkRequest } from "../sink/provider.ts";
import { findSinkProvider } from "../sink/registry.ts";
import type { MemoryPolicy } from "../source/memory.ts";
import { createSseSource } from "../source/sse.ts";
import { checkSinceAgainstRetention, checkSinceNotAhead, resolveConfig, type Config } from "./config.ts";
import { describeLauncherGone, watchLauncher } from "./launcher.ts";
import { startWatching, type Watching } from "./watch.ts";
import { createStdoutWriter, readCaFile, reportFailure } from "./process-io.ts";

declare const WIKISTREAM_MEMORY_CHECK_BYTES: number | undefined;
declare const WIKISTREAM_MEMORY_CEILING_BYTES: number | undefined;

/**
 * The reading loop's memory policy (source/memory.ts): look at the resident set every 8 MiB read
 * and collect when it is over 112 MiB. Measured in one `bun run bench` (200k events, 228 MB, 5
 * runs; bench/results.md): a collection every 8 MiB (0.1.0) took 3.1× the raw read with a peak
 * of 92 MB; none, 2.3× but 133–137 MB; a 96 MiB ceiling 2.6× and 105–108 MB. 112 MiB keeps the
 * peak near 115 MB (under 128 at the worst) for most of the speed of none; live, the ceiling is
 * never reached (65 MB) and nothing is forced. The benchmark builds other policies in with
 * compile-time constants (bench/variants.ts).
 */
const MEMORY_POLICY: MemoryPolicy = {
  checkEveryBytes: typeof WIKISTREAM_MEMORY_CHECK_BYTES === "number" ? WIKISTREAM_MEMORY_CHECK_BYTES : 8 * 1024 * 1024,
  ceilingBytes: typeof WIKISTREAM_MEMORY_CEILING_BYTES === "number" ? WIKISTREAM_MEMORY_CEILING_BYTES : 112 * 1024 * 1024,
};
/** A short pause before a run starts again after Redis lost writes: a failover may still be settling. */
const RESTART_PAUSE_MS = 250;
/** A live trickle is read in batches of this long (CPU 2.0 → 1.15–1.3 % of a core at 100 events/s). */
const COALESCE_MS = 1000;

/**
 * What the run hands the sink it asks for. stdout is taken only when a window is printed: a run
 * into Redis leaves it alone.
 */
function describeSinkRequest(config: Config, watching: Watching, env: Record<string, string | undefined>, stop: AbortController, telemetry: Telemetry, ca: string | undefined): SinkRequest {
  const { log } = watching;
  let stdout: ((text: string) => Promise<void>) | undefined;
  const write = (text: string) => watching.printAround(() => (stdout ??= createStdoutWriter(log, stop))(text));
  const color = config.format === "text" && resolveColor(process.stdout.isTTY === true, env);
  // The windows this run may write, for the check of foreign keys before the first write.
  const now = Date.now();
  const windowRange = { fromMs: config.sinceMs ?? now - config.latenessMs - config.windowMs, toMs: config.untilMs ?? now + config.windowMs };
  const { prefix, windowMs, standby, lockTtlMs, retainMs, rollups, rollupRetainMs, feed, allowEviction } = config;
  return {
    url: config.redisUrl,
    log,
    observer: telemetry.sinkObserver,
    print: { format: config.format, color, write },
    store: { prefix, windowMs, windowRange, ca, standby, lockTtlMs, retainMs, rollups, rollupRetainMs, feed, views: config.views.map((view) => view.name), allowEviction },
  };
}

/**
 * The signals that stop the run gracefully. SIGHUP too: a closed terminal (or an ssh session
 * that dropped) must not end a run without its final write, leaving the lock behind.
 */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * SIGINT/SIGTERM/SIGHUP stop the run gracefully, and so does the npm launcher's end when it
 * started this process (cli/launcher.ts): a launcher killed with SIGKILL forwards nothing. A
 * second stop exits at once.
 */
function trapSignals(log: () => Logger, controller: AbortController, env: Record<string, string | undefined>): () => void {
  let stops = 0;
  const stop = (reason: string) => {
    stops++;
    if (stops > 1) process.exit(130);
    log().info(`${reason}: stopping (writing what is ready)…`);
    controller.abort();
  };
  const handlers = STOP_SIGNALS.map((name) => {
    const onSignal = () => stop(name);
    process.on(name, onSignal);
    return () => process.off(name, onSignal);
  });
  const unwatch = watchLauncher(env, (pid) => stop(describeLauncherGone(pid)));
  return () => {
    for (const off of handlers) off();
    unwatch();
  };
}

/**
 * Runs wikistream with raw argv; returns the exit code. Prints one line for errors the
 * user can fix (a stack only with --verbose). SIGINT/SIGTERM/SIGHUP stop it gracefully.
 */
export async function main(rawArgs: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const color = resolveColor(process.stderr.isTTY === true, env);
  let log = createLogger({ color });
  let verbose = false;
  const controller = new AbortController();
  const untrap = trapSignals(() => log, controller, env);
  let sink: Sink | undefined;
  let watching: Watching | undefined;
  try {
    const config = resolveConfig(rawArgs, env);
    checkSinceNotAhead(config, Date.now());
    checkSinceAgainstRetention(config, Date.now());
    verbose = config.verbose;
    const telemetry = new Telemetry(Date.now, countRecentWindows(config.windowMs));
    const ca = readCaFile(config.redisCaFile);
    watching = await startWatching(config, telemetry, env, ca);
    log = watching.log;
    // Names the process in top/ps -o comm. It does not rewrite /proc/<pid>/cmdline on Linux,
    // which is why the README says to pass a password in REDIS_URL, not on the command line.
    process.title = "wikistream";
    const provider = findSinkProvider(config.redisUrl);
    if (provider.keepsState) log.debug(`writing to ${provider.describe(config.redisUrl)} with prefix '${config.prefix}'`);
    // A failover can leave Redis without the last writes (see WRITE_SCRIPT): the run then starts
    // again, from the checkpoint that Redis holds, with a sink and a source of its own.
    for (;;) {
      sink = await provider.create(describeSinkRequest(config, watching, env, controller, telemetry, ca));
      const source = createSseSource({
        url: config.url,
        userAgent: config.userAgent,
        idleTimeoutMs: config.idleTimeoutMs,
        maxEventBytes: config.maxEventBytes,
        log,
        coalesceMs: COALESCE_MS,
        memory: MEMORY_POLICY,
      });
      try {
        // Only stored windows expire: printed ones have no retention to skip events for.
        const pipeline = { ...config, retainMs: provider.keepsState ? config.retainMs : 0 };
        await runPipeline({ config: pipeline, source, sink, clock: { now: Date.now }, log, signal: controller.signal, telemetry });
        return 0;
      } catch (error) {
        if (!(error instanceof WikistreamError && error.type === "stale") || controller.signal.aborted) throw error;
        log.warn(error.message);
        await sink.close().catch(() => undefined);
        sink = undefined;
        await sleep(RESTART_PAUSE_MS, controller.signal);
        if (controller.signal.aborted) return 0;
      }
    }
  } catch (error) {
    return reportFailure(error, log, verbose);
  } finally {
    await watching?.stop().catch(() => undefined);
    await sink?.close().catch(() => undefined);
    untrap();
  }
}
