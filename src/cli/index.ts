#!/usr/bin/env bun
/**
 * The command line: `wikistream [flags]` counts; `wikistream top` and `wikistream read` read
 * the windows back from Redis; `wikistream tail` follows the feed of final windows;
 * `wikistream healthcheck` asks a running instance's /healthz;
 * `wikistream completion bash|zsh|fish` prints a completion script made from the flag tables.
 * `--version` and `--help` answer at once; everything else loads what it needs lazily
 * (ioredis and the pipeline are not needed to print a version).
 */
import { defineCommand, runCommand } from "citty";
import { COMMIT, VERSION } from "../lib/version.ts";
import type { CommandEntry } from "./completion.ts";

const DESCRIPTION = "Count Wikimedia edits per wiki in tumbling windows, exactly once, into Redis (or stdout).";

/** The commands besides counting: what the main --help says of each, how to load it, and its flags (for completion). */
const COMMANDS = {
  top: {
    usage: "top [flags]",
    summary: "the newest window, with sparklines",
    load: () => import("./top.ts").then((m) => m.topCommand),
    flags: () => import("./query-flags.ts").then((m) => m.TOP_FLAGS),
  },
  read: {
    usage: "read --from TIME [flags]",
    summary: "stored windows as text, CSV or JSON",
    load: () => import("./read.ts").then((m) => m.readCommand),
    flags: () => import("./query-flags.ts").then((m) => m.READ_FLAGS),
  },
  tail: {
    usage: "tail [flags]",
    summary: "each final window from the --feed",
    load: () => import("./tail.ts").then((m) => m.tailCommand),
    flags: () => import("./query-flags.ts").then((m) => m.TAIL_FLAGS),
  },
  healthcheck: {
    usage: "healthcheck [--ready]",
    summary: "ask a running instance's /healthz",
    load: () => import("./healthcheck.ts").then((m) => m.healthcheckCommand),
    flags: () => import("./healthcheck.ts").then((m) => m.HEALTHCHECK_FLAGS),
  },
  completion: {
    usage: "completion bash|zsh|fish",
    summary: "print a shell completion script",
    load: () => import("./completion.ts").then((m) => m.createCompletionCommand(listCommandEntries)),
    flags: () => import("./flags.ts").then((m) => ({ help: m.FLAGS.help })),
  },
} as const;
type CommandName = keyof typeof COMMANDS;
const isCommand = (word: string): word is CommandName => Object.hasOwn(COMMANDS, word);

/** `wikistream top`, `read`, `tail`, `healthcheck` and `completion`, each loaded only when named. */
const withCommands = defineCommand({
  meta: { name: "wikistream", version: VERSION, description: DESCRIPTION },
  subCommands: { top: COMMANDS.top.load, read: COMMANDS.read.load, tail: COMMANDS.tail.load, healthcheck: COMMANDS.healthcheck.load, completion: COMMANDS.completion.load },
});

/** The counting run and every command with its flag table, for the completion scripts. */
async function listCommandEntries(): Promise<{ main: CommandEntry; commands: CommandEntry[] }> {
  const { FLAGS } = await import("./flags.ts");
  const commands: CommandEntry[] = await Promise.all(Object.entries(COMMANDS).map(async ([name, c]) => ({ name, summary: c.summary, flags: await c.flags() })));
  return { main: { name: "", summary: DESCRIPTION, flags: FLAGS }, commands };
}

/** The counting run. Its flags are parsed by cli/parse.ts from the one flag table, not by citty. */
const counting = defineCommand({
  meta: { name: "wikistream", version: VERSION, description: DESCRIPTION },
  async run({ rawArgs }) {
    const { main } = await import("./main.ts");
    process.exitCode = await main(rawArgs);
  },
});

/** The main --help's usage lines: the counting run, then each command. */
function mainUsage(): string[] {
  const rows: [string, string][] = [
    ["wikistream [flags]", "count, into Redis or onto stdout"],
    ...Object.values(COMMANDS).map((c): [string, string] => [`wikistream ${c.usage}`, c.summary]),
    ["wikistream <command> --help", "the flags of a command"],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${left.padEnd(width)}${right}`);
}

async function printHelp(command: CommandName | undefined): Promise<void> {
  const [{ formatHelp }, { FLAGS }, query, health] = await Promise.all([import("./help.ts"), import("./flags.ts"), import("./query-flags.ts"), import("./healthcheck.ts")]);
  if (command === "top") process.stdout.write(formatHelp(query.TOP_HELP, query.TOP_FLAGS));
  else if (command === "read") process.stdout.write(formatHelp(query.READ_HELP, query.READ_FLAGS));
  else if (command === "tail") process.stdout.write(formatHelp(query.TAIL_HELP, query.TAIL_FLAGS));
  else if (command === "healthcheck") process.stdout.write(formatHelp(health.HEALTHCHECK_HELP, health.HEALTHCHECK_FLAGS));
  else if (command === "completion") process.stdout.write(formatHelp((await import("./completion.ts")).COMPLETION_HELP, await COMMANDS.completion.flags()));
  else process.stdout.write(formatHelp({ description: DESCRIPTION, usage: mainUsage() }, FLAGS));
}

/** A first word that names no command: one line saying which exist, exit 2. */
async function refuseCommand(word: string): Promise<number> {
  const [{ suggestFlag }, { createLogger, resolveColor }] = await Promise.all([import("./parse.ts"), import("../lib/log.ts")]);
  const names = Object.keys(COMMANDS);
  const near = suggestFlag(word, names);
  const log = createLogger({ color: resolveColor(process.stderr.isTTY === true) });
  const list = `${names.slice(0, -1).join(", ")} and ${names[names.length - 1] ?? ""}`;
  log.error(`unknown command '${word}'${near ? ` (did you mean ${near}?)` : ""}: the commands are ${list}; without one, wikistream counts and takes only flags (see wikistream --help)`);
  return 2;
}

const rawArgs = process.argv.slice(2);
// Only a first word names a command: citty would take any word for one, a flag's value too
// (`--prefix x`), as it knows none of our flags.
const first = rawArgs[0];
const word = first !== undefined && !first.startsWith("-") ? first : undefined;
if (word !== undefined && !isCommand(word)) {
  process.exit(await refuseCommand(word));
} else if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
  await printHelp(word);
} else if (rawArgs.includes("--version")) {
  process.stdout.write(`wikistream ${VERSION} (${COMMIT})\n`);
} else {
  await runCommand(word === undefined ? counting : withCommands, { rawArgs });
  // Timers or sockets left behind must not keep a finished run alive.
  process.exit(process.exitCode ?? 0);
}
