/**
 * What `top`, `read` and `tail` share: their flags checked (a missing --redis-url named with
 * REDIS_URL), the reader opened, stdout written with its back-pressure, SIGINT/SIGTERM turned
 * into a stop, and a failure into one line and an exit code, as the counting run does.
 */
import { WikistreamError } from "../lib/error.ts";
import { createLogger, resolveColor, type Logger } from "../lib/log.ts";
import type { RollupLevel } from "../sink/redis/keys.ts";
import { describeReadError } from "../sink/redis/reader-connection.ts";
import { createWindowReader, type WindowReader, type WindowReaderOptions } from "../sink/redis/reader.ts";
import { DEFAULT_PREFIX, type FlagSpec, type ValuesOf } from "./flags.ts";
import { resolveClusterPrefix } from "./config.ts";
import { describeLauncherGone, watchLauncher } from "./launcher.ts";
import { resolveFlagSources } from "./parse.ts";
import { retargetUsage, usage } from "./values.ts";
import { createStdoutWriter, readCaFile, reportFailure } from "./process-io.ts";

/** The commands that read windows back. */
export type QueryCommand = "top" | "read" | "tail";

/** The flags every query command has. */
export interface QueryValues {
  "redis-url": string | undefined;
  prefix: string;
  "redis-ca": string | undefined;
  /** A rollup level to read instead of the windows (top, read). */
  resolution?: RollupLevel | undefined;
  /** The view to read (--by LIST; top, read); undefined: the main view. */
  by?: string | undefined;
  verbose: boolean;
  quiet: boolean;
}

/** What a command reads through: a WindowReader, or the feed's reader for `tail`. */
export interface QueryReader {
  readonly where: string;
  close(): Promise<void>;
}

/** What a command's body gets. */
export interface QueryRun<V, R extends QueryReader = WindowReader> {
  values: V;
  reader: R;
  log: Logger;
  /** Aborts on SIGINT/SIGTERM/SIGHUP, and when stdout is closed. */
  signal: AbortSignal;
  /** Writes to stdout; resolves once written (nothing is lost to the exit that follows). */
  write(text: string): Promise<void>;
}

/**
 * Parses a command's flags with its own table. The shared parser and values words point at
 * `wikistream --help`; here they point at the command's own help.
 */
export function parseQueryFlags<T extends Record<string, FlagSpec<unknown>>>(command: QueryCommand, table: T, rawArgs: readonly string[], env: Record<string, string | undefined>): ValuesOf<T> {
  try {
    const { values, typed, fromEnv } = resolveFlagSources(rawArgs, env, table);
    const url = values["redis-url"];
    if (typeof values.prefix === "string") {
      // The counting run's rule, so that a reader looks where the run writes.
      values.prefix = resolveClusterPrefix(values.prefix, typeof url === "string" ? url : undefined, typed.has("prefix") || fromEnv.has("prefix"));
    }
    return values as ValuesOf<T>;
  } catch (error) {
    throw error instanceof WikistreamError ? retargetUsage(error, command) : error;
  }
}

/** The same usage line as values.ts's, pointing at the command's help. */
export function commandUsage(command: QueryCommand, message: string): WikistreamError {
  return retargetUsage(usage(message), command);
}

/**
 * The one line for a prefix with no windows (or no periods of the --resolution asked) at all:
 * a string to say, exit 0, when a run has started there and its first window is not written
 * yet; otherwise the error that names what to check.
 */
export async function explainNoWindows(reader: WindowReader, values: Pick<QueryValues, "prefix" | "resolution" | "redis-url">, command: QueryCommand): Promise<string | WikistreamError> {
  const { prefix, resolution } = values;
  if (await reader.awaitsFirstWindow()) {
    const first = resolution === undefined ? "its first window is" : `its first window (and ${resolution.name} rollup, with --rollup ${resolution.name}) is`;
    const next = command === "top" ? "try again in a minute, or watch for it: wikistream top --watch" : "try again in a minute";
    return `a run writes under prefix '${prefix}' in ${reader.where}, but ${first} not written yet (a window is written once the stream passes its end): ${next}`;
  }
  const usual = resolveClusterPrefix(DEFAULT_PREFIX, values["redis-url"], false);
  if (resolution !== undefined) {
    return new WikistreamError(
      "redis",
      `there are no ${resolution.name} rollups under prefix '${prefix}' in ${reader.where}: the counting run keeps them when given --rollup ${resolution.name}; without it, read the windows (leave out --resolution)`,
    );
  }
  return new WikistreamError(
    "redis",
    `there are no windows under prefix '${prefix}' in ${reader.where}: check --prefix (wikistream writes under '${usual}' unless told otherwise) and the database in --redis-url`,
  );
}

/** The checks every query command makes after parsing: the URL is there, the CA has a TLS URL, one loudness. */
function checkCommon(command: QueryCommand, values: QueryValues): string {
  const url = values["redis-url"];
  if (url === undefined) throw commandUsage(command, `wikistream ${command} reads windows from Redis: give --redis-url URL, or set REDIS_URL`);
  if (values["redis-ca"] !== undefined && !url.startsWith("rediss")) throw commandUsage(command, "--redis-ca needs a rediss:// --redis-url");
  if (values.verbose && values.quiet) throw commandUsage(command, "--verbose and --quiet exclude each other");
  return url;
}

/** The exit code of a process ended by a signal: 128 + its number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * SIGINT/SIGTERM/SIGHUP: while `stops()` says the command stops on `controller` (a --watch loop),
 * the first one aborts it and a second exits at once; otherwise (a one-shot read, or still
 * connecting) the first exits at once, as an untrapped signal would. Nothing is written, so
 * nothing needs finishing. The npm launcher's end, when it started this process
 * (cli/launcher.ts), counts as a SIGTERM: a --watch or a `tail` would otherwise run on, orphaned.
 */
function trapSignals(controller: AbortController, stops: () => boolean, log: () => Logger, env: Record<string, string | undefined>): () => void {
  const onSignal = (signal: keyof typeof SIGNAL_EXIT) => {
    if (controller.signal.aborted || !stops()) process.exit(SIGNAL_EXIT[signal]);
    controller.abort();
  };
  const names = Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[];
  for (const name of names) process.on(name, onSignal);
  const unwatch = watchLauncher(env, (pid) => {
    log().info(`${describeLauncherGone(pid)}: stopping`);
    onSignal("SIGTERM");
  });
  return () => {
    for (const name of names) process.off(name, onSignal);
    unwatch();
  };
}

/**
 * Runs a query command that reads windows: parses its flags, opens the window reader, runs
 * `body`, and returns the exit code (2 for a bad flag, 1 for what Redis or the data refused,
 * body's own otherwise).
 */
export function runQuery<V extends QueryValues>(
  command: QueryCommand,
  parse: () => V,
  body: (run: QueryRun<V>) => Promise<number>,
  env: Record<string, string | undefined> = process.env,
  stopsOnSignal: (values: V) => boolean = () => false,
): Promise<number> {
  return runReaderCommand(command, parse, (options) => createWindowReader(options), body, env, stopsOnSignal);
}

/** runQuery with the reader `open` makes (`signal` aborts on SIGINT/SIGTERM). */
export async function runReaderCommand<V extends QueryValues, R extends QueryReader>(
  command: QueryCommand,
  parse: () => V,
  open: (options: WindowReaderOptions, signal: AbortSignal) => Promise<R>,
  body: (run: QueryRun<V, R>) => Promise<number>,
  env: Record<string, string | undefined> = process.env,
  stopsOnSignal: (values: V) => boolean = () => false,
): Promise<number> {
  const color = resolveColor(process.stderr.isTTY === true, env);
  let log = createLogger({ color });
  const controller = new AbortController();
  let stops = false;
  const untrap = trapSignals(controller, () => stops, () => log, env);
  let reader: R | undefined;
  try {
    const values = parse();
    const url = checkCommon(command, values);
    log = createLogger({ color, verbose: values.verbose, quiet: values.quiet });
    reader = await open({ url, prefix: values.prefix, ca: readCaFile(values["redis-ca"]), log, rollup: values.resolution, view: values.by }, controller.signal);
    log.debug(`reading ${values.resolution ? `the ${values.resolution.name} rollups of ` : ""}prefix '${values.prefix}' from ${reader.where}`);
    stops = stopsOnSignal(values);
    return await body({ values, reader, log, signal: controller.signal, write: createStdoutWriter(log, controller) });
  } catch (thrown) {
    return reportFailure(reader ? describeReadError(thrown, reader.where) : thrown, log, log.verbose);
  } finally {
    await reader?.close();
    untrap();
  }
}
