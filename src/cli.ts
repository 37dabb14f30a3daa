#!/usr/bin/env bun
import { defineCommand, renderUsage, runCommand } from "citty";
import { argsDef } from "./config.ts";
import { COMMIT, VERSION } from "./version.ts";

const command = defineCommand({
  meta: {
    name: "wikistream",
    version: VERSION,
    description: "Count Wikimedia edits per wiki in tumbling windows, exactly once, into Redis (or stdout).",
  },
  args: argsDef,
  async run({ rawArgs }) {
    // Loaded here so --help and --version never pay for the pipeline (and ioredis).
    const { main } = await import("./main.ts");
    process.exitCode = await main(rawArgs);
  },
});

const rawArgs = process.argv.slice(2);
if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
  const usage = await renderUsage(command);
  const plain = !process.stdout.isTTY || process.env.NO_COLOR !== undefined;
  // citty colours even when piped; strip its escapes unless a terminal wants them.
  process.stdout.write(`${plain ? usage.replace(/\x1b\[[0-9;]*m/g, "") : usage}\n`);
} else if (rawArgs.includes("--version")) {
  process.stdout.write(`wikistream ${VERSION} (${COMMIT})\n`);
} else {
  await runCommand(command, { rawArgs });
  // Timers or sockets left behind must not keep a finished run alive.
  process.exit(process.exitCode ?? 0);
}
