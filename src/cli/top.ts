/**
 * `wikistream top`: the newest window in Redis as a table of its busiest wikis, with a
 * sparkline per wiki over the last windows; `--watch` redraws as windows land, `--json` prints
 * the windows instead. Reads only.
 *
 * --watch polls: once a second it reads the newest window start and the checkpoint's write
 * time (one round trip of two small reads), and reads the windows again only when those moved.
 * A pub/sub channel would need every writer to publish, and says nothing to a reader that was
 * away when it was sent; polling works with any writer, old or new, and costs Redis nothing
 * worth measuring. It also sees rewrites of the newest window as late events arrive, which
 * `epoch_index` alone would not.
 */
import { defineCommand } from "citty";
import { sleep } from "../lib/abort.ts";
import type { WindowView } from "../window/types.ts";
import { formatTimeOfDay } from "../lib/format.ts";
import { describeReadError, isPassingReadError } from "../sink/redis/reader-connection.ts";
import { describeRedisCause } from "../sink/redis/errors.ts";
import { resolveColor } from "../lib/log.ts";
import { formatWindowsJson } from "./query-format.ts";
import { TOP_FLAGS, TOP_HELP, type TopValues } from "./query-flags.ts";
import { explainNoWindows, parseQueryFlags, runQuery, type QueryRun } from "./query.ts";
import { formatTop } from "./top-format.ts";

/** How often --watch looks at Redis. */
export const WATCH_INTERVAL_MS = 1000;

/** Cursor home, then clear below: each redraw paints over the last in place. */
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";

/** One frame of output for these windows: JSON or the table. */
function render(windows: readonly WindowView[], values: TopValues, env: Record<string, string | undefined>, view: string): string {
  if (values.json) return formatWindowsJson(windows);
  const color = resolveColor(process.stdout.isTTY === true, env);
  return formatTop(windows, { all: values.all, columns: process.stdout.columns || 80, color, unit: values.resolution?.noun ?? "window", view });
}

/** A frame drawn over the previous one on a terminal; off a terminal, frames follow each other. */
function paintOver(frame: string, nowMs: number): string {
  const stamp = `drawn at ${formatTimeOfDay(nowMs)} UTC; redrawn as windows land; Ctrl-C to stop`;
  return `${HOME}${`${frame}${stamp}\n`.replace(/\n/g, `${CLEAR_LINE}\n`)}${CLEAR_BELOW}`;
}

/** Redraws whenever a write lands under the prefix, until stopped. */
async function watch(run: QueryRun<TopValues>, env: Record<string, string | undefined>): Promise<number> {
  const { values, reader, log, signal } = run;
  const onTerminal = process.stdout.isTTY === true && !values.json;
  let mark: string | undefined;
  let waiting = false;
  let saidEmpty = false;
  while (!signal.aborted) {
    try {
      const next = await reader.writeMark();
      if (next !== mark) {
        const windows = await reader.latest(values.windows);
        if (windows.length > 0) {
          const frame = render(windows, values, env, reader.view.name);
          await run.write(onTerminal ? paintOver(frame, Date.now()) : values.json ? frame : `${frame}\n`);
        } else if (!saidEmpty) {
          log.info(`there are no ${values.resolution ? `${values.resolution.name} rollups` : "windows"} under prefix '${values.prefix}' in ${reader.where} yet: waiting for the first (Ctrl-C to stop)`);
          saidEmpty = true;
        }
        mark = next;
      }
      if (waiting) log.info(`Redis at ${reader.where} answers again`);
      waiting = false;
    } catch (error) {
      if (!isPassingReadError(error)) throw describeReadError(error, reader.where);
      if (!waiting) log.warn(`waiting for Redis at ${reader.where} (${describeRedisCause(error)}); the last table stays`);
      waiting = true;
    }
    await sleep(WATCH_INTERVAL_MS, signal);
  }
  return 0;
}

/** Runs `wikistream top` with the arguments after `top`; returns the exit code. */
export function top(rawArgs: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return runQuery(
    "top",
    () => parseQueryFlags("top", TOP_FLAGS, rawArgs, env),
    async (run) => {
      if (run.values.watch) return watch(run, env);
      const windows = await run.reader.latest(run.values.windows);
      if (windows.length === 0) {
        const why = await explainNoWindows(run.reader, run.values, "top");
        if (typeof why !== "string") throw why;
        run.log.info(why);
        if (run.values.json) await run.write(formatWindowsJson([]));
        return 0;
      }
      await run.write(render(windows, run.values, env, run.reader.view.name));
      return 0;
    },
    env,
    (values) => values.watch,
  );
}

/** The citty command (loaded only when `wikistream top` runs). */
export const topCommand = defineCommand({
  meta: { name: "top", description: TOP_HELP.description },
  async run({ rawArgs }) {
    process.exitCode = await top(rawArgs);
  },
});
