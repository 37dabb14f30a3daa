/**
 * `wikistream tail`: follows the feed of final windows (the counting run's --feed), printing each
 * window once, in order, as it becomes final: the table `top` draws, or a JSON line (`--json`).
 * Alone it reads with XREAD from the next window (or `--from TIME`); with `--group NAME` it is a
 * member of that consumer group (XREADGROUP), acks each window once printed, and on a restart
 * first reads what it was given but did not ack. Redis away is waited for, as `top --watch` does.
 */
import { defineCommand } from "citty";
import { hostname } from "node:os";
import { sleep } from "../lib/abort.ts";
import { formatInstant } from "../lib/format.ts";
import { WikistreamError } from "../lib/error.ts";
import { resolveColor } from "../lib/log.ts";
import type { WindowView } from "../window/types.ts";
import { toWire } from "../window/wire.ts";
import { describeRedisCause } from "../sink/redis/errors.ts";
import { createFeedReader, type FeedEntry, type FeedReader } from "../sink/redis/feed-reader.ts";
import { formatFeedIdBefore } from "../sink/redis/feed.ts";
import { describeReadError, isPassingReadError } from "../sink/redis/reader-connection.ts";
import { TAIL_FLAGS, TAIL_HELP, type TailValues } from "./query-flags.ts";
import { commandUsage, parseQueryFlags, runReaderCommand, type QueryRun } from "./query.ts";
import { formatTop } from "./top-format.ts";

/** How long one read waits for a window; a stop ends it at once (the connection is dropped). */
const BLOCK_MS = 5000;
/** How often a missing feed or an absent Redis is looked at again. */
const RETRY_MS = 1000;
/** Windows the table's sparklines cover: the last ones printed. */
const SPARK_WINDOWS = 20;

type TailRun = QueryRun<TailValues, FeedReader>;

/** A Stream ID as two numbers, to compare. */
function splitId(id: string): [number, number] {
  const [ms, seq] = id.split("-").map(Number);
  return [ms ?? 0, seq ?? 0];
}

function isAfter(id: string, than: string): boolean {
  const [a, b] = splitId(id);
  const [c, d] = splitId(than);
  return a > c || (a === c && b > d);
}

/** Prints entries oldest first, each once (an entry read again after a reconnect is skipped). */
function createPrinter(run: TailRun, env: Record<string, string | undefined>): (entries: readonly FeedEntry[]) => Promise<void> {
  const { values, log } = run;
  const recent: WindowView[] = [];
  let last = "0-0";
  const color = resolveColor(process.stdout.isTTY === true, env);
  return async (entries) => {
    let text = "";
    for (const { id, window } of entries) {
      if (!isAfter(id, last)) continue;
      last = id;
      if (typeof window === "string") {
        log.warn(`${run.reader.key}: ${window}; skipped`);
        continue;
      }
      recent.push(window);
      if (recent.length > SPARK_WINDOWS) recent.shift();
      text += values.json ? `${JSON.stringify(toWire(window, window.incomplete))}\n` : `${formatTop(recent, { all: values.all, columns: process.stdout.columns || 80, color })}\n`;
    }
    if (text !== "") await run.write(text);
  };
}

/** What waitForFeed found: the feed there at start, one that appeared since, or a stop first. */
type FeedFound = "there" | "appeared" | "stopped";

/**
 * Waits until the prefix has a feed (a counting run with --feed makes it with its first final
 * window). Throws when the prefix has final windows but no feed; windows written but none final
 * yet (a run's first minute or so) are waited out, as with --feed the feed comes with the first.
 */
async function waitForFeed(run: TailRun): Promise<FeedFound> {
  const { reader, log, signal, values } = run;
  let said = false;
  while (!signal.aborted) {
    let state: Awaited<ReturnType<FeedReader["lookUp"]>>;
    try {
      state = await reader.lookUp();
    } catch (error) {
      if (signal.aborted) break;
      if (!isPassingReadError(error)) throw describeReadError(error, reader.where);
      log.debug(`waiting for Redis at ${reader.where} (${describeRedisCause(error)})`);
      await sleep(RETRY_MS, signal);
      continue;
    }
    if (state.feed) return said ? "appeared" : "there";
    if (state.finalWindows > 0) {
      throw new WikistreamError(
        "redis",
        `prefix '${values.prefix}' has final windows but no feed (${reader.key}) in ${reader.where}: run the counting run with --feed (or WIKISTREAM_FEED=1); until then, wikistream top --watch follows the windows`,
      );
    }
    if (!said) log.info(`there is no feed under prefix '${values.prefix}' in ${reader.where} yet: waiting for a counting run with --feed (Ctrl-C to stop)`);
    said = true;
    await sleep(RETRY_MS, signal);
  }
  return "stopped";
}

/** Runs `step` until stopped, waiting out a Redis that is away; `onRetry` runs after each outage. */
async function repeat(run: TailRun, step: () => Promise<void>, onRetry: () => void): Promise<number> {
  const { reader, log, signal } = run;
  let waiting = false;
  while (!signal.aborted) {
    try {
      await step();
      if (waiting) log.info(`Redis at ${reader.where} answers again`);
      waiting = false;
    } catch (error) {
      if (signal.aborted) break;
      if (!isPassingReadError(error)) throw describeReadError(error, reader.where);
      if (!waiting) log.warn(`waiting for Redis at ${reader.where} (${describeRedisCause(error)})`);
      waiting = true;
      onRetry();
      await sleep(RETRY_MS, signal);
    }
  }
  return 0;
}

/**
 * Where to start: before `--from`; else after the newest entry (undefined: read it then), or
 * from the start of a feed that appeared while waiting (all its windows became final since).
 */
function resolveStart(values: TailValues, found: FeedFound, newest: string | undefined): string | undefined {
  if (values.from !== undefined) return formatFeedIdBefore(values.from);
  return found === "appeared" ? "0-0" : newest;
}

/** Follows alone (XREAD), from `--from` or the newest entry. */
async function follow(run: TailRun, found: FeedFound, print: (entries: readonly FeedEntry[]) => Promise<void>): Promise<number> {
  const { reader, values, log } = run;
  let after = resolveStart(values, found, undefined);
  return repeat(
    run,
    async () => {
      // Not "$": a window appended between two reads would be missed.
      after ??= await reader.newestId();
      log.debug(`following ${reader.key} after entry ${after}`);
      const entries = await reader.read(after, BLOCK_MS);
      await print(entries);
      after = entries[entries.length - 1]?.id ?? after;
    },
    () => undefined,
  );
}

/** Follows as a member of a consumer group (XREADGROUP), acking what it printed. */
async function followGroup(run: TailRun, group: string, found: FeedFound, print: (entries: readonly FeedEntry[]) => Promise<void>): Promise<number> {
  const { reader, values, log } = run;
  const consumer = values.consumer ?? hostname();
  let joined = false;
  // First the entries this consumer was given and did not ack (a restart), then new ones.
  let id = "0";
  return repeat(
    run,
    async () => {
      if (!joined) {
        const created = await reader.createGroup(group, resolveStart(values, found, "$") ?? "$");
        const start = values.from !== undefined ? `with the first window from ${formatInstant(values.from)}` : "with the next final window";
        if (created) log.info(`made consumer group '${group}' on ${reader.key}, starting ${start}`);
        else if (values.from !== undefined) log.warn(`consumer group '${group}' exists on ${reader.key}: it goes on where it left off (--from only places a new group)`);
        joined = true;
      }
      const entries = await reader.readGroup(group, consumer, id, BLOCK_MS);
      if (id === "0" && entries.length === 0) id = ">";
      await print(entries);
      await reader.ack(group, entries.map((entry) => entry.id));
    },
    () => {
      id = "0";
    },
  );
}

/** Runs `wikistream tail` with the arguments after `tail`; returns the exit code. */
export function tail(rawArgs: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return runReaderCommand(
    "tail",
    () => {
      const values = parseQueryFlags("tail", TAIL_FLAGS, rawArgs, env);
      if (values.consumer !== undefined && values.group === undefined) throw commandUsage("tail", "--consumer names this reader in a consumer group: give --group NAME too");
      return values;
    },
    (options, signal) => createFeedReader(options, signal),
    async (run) => {
      const found = await waitForFeed(run);
      if (found === "stopped") return 0;
      const print = createPrinter(run, env);
      return run.values.group === undefined ? follow(run, found, print) : followGroup(run, run.values.group, found, print);
    },
    env,
    () => true,
  );
}

/** The citty command (loaded only when `wikistream tail` runs). */
export const tailCommand = defineCommand({
  meta: { name: "tail", description: TAIL_HELP.description },
  async run({ rawArgs }) {
    process.exitCode = await tail(rawArgs);
  },
});
