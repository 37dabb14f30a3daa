#!/usr/bin/env bun
/**
 * The command line: `--version` and `--help` answer at once; everything else loads the run
 * lazily (ioredis and the pipeline are not needed to print a version).
 */
import { defineCommand, runCommand } from "citty";
import { COMMIT, VERSION } from "../lib/version.ts";

const DESCRIPTION = "Count Wikimedia edits per wiki in tumbling windows, exactly once, into Redis (or stdout).";

const command = defineCommand({
  meta: { name: "wikistream", version: VERSION, description: DESCRIPTION },
  async run({ rawArgs }) {
    const { main } = await import("./main.ts");
    process.exitCode = await main(rawArgs);
  },
});

const rawArgs = process.argv.slice(2);
if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
  const [{ formatHelp }, { FLAGS }] = await Promise.all([import("./help.ts"), import("./flags.ts")]);
  process.stdout.write(formatHelp({ description: DESCRIPTION, usage: ["wikistream [flags]"] }, FLAGS));
} else if (rawArgs.includes("--version")) {
  process.stdout.write(`wikistream ${VERSION} (${COMMIT})\n`);
} else {
  await runCommand(command, { rawArgs });
  // Timers or sockets left behind must not keep a finished run alive.
  process.exit(process.exitCode ?? 0);
}
