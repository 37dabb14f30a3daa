/**
 * `wikistream read --from TIME [--to TIME]`: the windows stored in Redis that start in
 * [from, to), oldest first, as text (a line per window), CSV or JSON; `--server` keeps the
 * wikis matching a glob. Reads only.
 */
import { defineCommand } from "citty";
import { formatInstant } from "../lib/format.ts";
import { formatCount } from "../lib/plural.ts";
import { createWindowsPrinter, filterServers } from "./query-format.ts";
import { READ_FLAGS, READ_HELP, type ReadValues } from "./query-flags.ts";
import { commandUsage, explainNoWindows, parseQueryFlags, runQuery } from "./query.ts";

/** Parses read's flags and checks the range: --from is required and before --to (now by default). */
function parseReadFlags(rawArgs: readonly string[], env: Record<string, string | undefined>, nowMs: number): ReadValues & { fromMs: number; toMs: number } {
  const values = parseQueryFlags("read", READ_FLAGS, rawArgs, env);
  if (values.json && values.csv) throw commandUsage("read", "--json and --csv exclude each other");
  if (values.from === undefined) throw commandUsage("read", "wikistream read needs --from TIME: ISO 8601 (2026-11-26T10:00:00Z) or Unix seconds");
  const toMs = values.to ?? nowMs;
  if (toMs <= values.from) throw commandUsage("read", `--to must be later than --from${values.to === undefined ? " (--to is now when not given)" : ""}`);
  return { ...values, fromMs: values.from, toMs };
}

/** Runs `wikistream read` with the arguments after `read`; returns the exit code. */
export function read(rawArgs: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return runQuery(
    "read",
    () => parseReadFlags(rawArgs, env, Date.now()),
    async ({ values, reader, log, write, signal }) => {
      const printer = createWindowsPrinter(values.csv ? "csv" : values.json ? "json" : "text", reader.view.name);
      const patterns = values.server.map((s) => s.pattern);
      // Nothing on stdout before the first window: a prefix without any is an error, not an empty list.
      let printed = 0;
      for await (const batch of reader.listWindowBatches(values.fromMs / 1000, values.toMs / 1000)) {
        if (signal.aborted) return 0;
        if (batch.length === 0) continue;
        await write(`${printed === 0 ? printer.head : ""}${printer.batch(batch.map((view) => filterServers(view, patterns)))}`);
        printed += batch.length;
      }
      if (printed === 0) {
        const span = await reader.span();
        // Not an error: the range is simply empty, or the run's first window is still to come.
        // Said on stderr so stdout stays parseable.
        const unit = values.resolution?.noun ?? "window";
        if (span === null) {
          const why = await explainNoWindows(reader, values, "read");
          if (typeof why !== "string") throw why;
          log.info(why);
        } else {
          log.warn(
            `no ${unit} starts in [${formatInstant(values.fromMs)}, ${formatInstant(values.toMs)}); prefix '${values.prefix}' holds ${formatCount(span.count, unit)} from ${formatInstant(span.firstS * 1000)} to ${formatInstant(span.lastS * 1000)}`,
          );
        }
      }
      await write(`${printed === 0 ? printer.head : ""}${printer.tail}`);
      return 0;
    },
    env,
  );
}

/** The citty command (loaded only when `wikistream read` runs). */
export const readCommand = defineCommand({
  meta: { name: "read", description: READ_HELP.description },
  async run({ rawArgs }) {
    process.exitCode = await read(rawArgs);
  },
});
