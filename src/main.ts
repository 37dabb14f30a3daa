import { readFileSync } from "node:fs";
import { formatRedisUrl, resolveConfig, type Config } from "./config.ts";
import { WikistreamError, formatError } from "./error.ts";
import { createLogger, resolveColor, type Logger } from "./log.ts";
import { runPipeline } from "./run.ts";
import { createRedisSink, createStdoutSink, type Sink } from "./sink.ts";
import { createSseSource } from "./source.ts";

function readCa(config: Config): string | undefined {
  if (config.redisCaFile === undefined) return undefined;
  try {
    return readFileSync(config.redisCaFile, "utf8");
  } catch (error) {
    throw new WikistreamError("usage", `--redis-ca: cannot read ${config.redisCaFile} (${formatError(error)}): give a PEM file`);
  }
}

function createSink(config: Config, log: Logger, env: Record<string, string | undefined>, stop: AbortController): Sink {
  if (config.redisUrl === undefined) {
    // Whoever reads our output went away (`| head`): stop reading the stream, quietly.
    let closed = false;
    const close = (error: unknown) => {
      if (closed) return;
      closed = true;
      log.debug(`stdout closed (${formatError(error)}); stopping`);
      stop.abort();
    };
    process.stdout.on("error", close);
    // Each write resolves once flushed, and the sink's flush awaits it, so a slow reader still
    // gets every window before we exit.
    const write = (text: string) =>
      closed
        ? undefined
        : new Promise<void>((resolve) =>
            process.stdout.write(text, (error) => {
              if (error) close(error);
              resolve();
            }),
          );
    return createStdoutSink({ format: config.format, color: config.format === "text" && resolveColor(process.stdout.isTTY === true, env), write });
  }
  return createRedisSink({ url: config.redisUrl, prefix: config.prefix, log, ca: readCa(config) });
}

/**
 * Runs wikistream with raw argv; returns the exit code. Prints one line for errors the
 * user can fix (a stack only with --verbose). SIGINT/SIGTERM stop it gracefully.
 */
export async function main(rawArgs: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const color = resolveColor(process.stderr.isTTY === true, env);
  let log = createLogger({ color });
  let verbose = rawArgs.includes("--verbose");
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    log.info(`${name}: stopping (writing what is ready)…`);
    controller.abort();
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  let sink: Sink | undefined;
  try {
    const config = resolveConfig(rawArgs, env);
    verbose = config.verbose;
    log = createLogger({ color, verbose: config.verbose, quiet: config.quiet });
    // Names the process in top/ps -o comm. It does not rewrite /proc/<pid>/cmdline on Linux,
    // which is why the README says to pass a password in REDIS_URL, not on the command line.
    process.title = "wikistream";
    if (config.redisUrl !== undefined) log.debug(`writing to ${formatRedisUrl(config.redisUrl)} with prefix '${config.prefix}'`);
    sink = createSink(config, log, env, controller);
    const source = createSseSource({ url: config.url, userAgent: config.userAgent, idleTimeoutMs: config.idleTimeoutMs, maxEventBytes: config.maxEventBytes, log, coalesceMs: 1000 });
    await runPipeline({ config, source, sink, clock: { now: Date.now }, log, signal: controller.signal });
    return 0;
  } catch (error) {
    if (error instanceof WikistreamError) {
      log.error(error.message);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    log.error(`unexpected failure: ${formatError(error)}${verbose ? "" : " (run with --verbose for details)"}`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  } finally {
    await sink?.close().catch(() => undefined);
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
