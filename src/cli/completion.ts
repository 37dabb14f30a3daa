/**
 * `wikistream completion bash|zsh|fish`: a completion script made from the flag tables (the
 * counting run's FLAGS and each command's), so it offers exactly what --help lists: the
 * commands, their flags, and the values of flags that take few (`--format`, `--type`, …).
 * Loaded only when asked for.
 */
import { defineCommand } from "citty";
import type { FlagSpec } from "./flags.ts";
import { formatBash, formatFish, formatZsh, type CompletionCommand, type CompletionFlag, type FlagValue } from "./completion-scripts.ts";

/** The shells a script is written for. */
const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

/** A command of the main --help: its name, summary and flag table. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagSpec<unknown>>>;
}

/** Turns a flag table into what the scripts complete. */
function describeFlags(table: Readonly<Record<string, FlagSpec<unknown>>>): CompletionFlag[] {
  return Object.entries(table).map(([name, spec]) => {
    const value: FlagValue =
      spec.kind === "boolean"
        ? { kind: "none" }
        : spec.values
          ? { kind: "choice", values: spec.values, list: spec.hint === "LIST" }
          : spec.hint === "FILE"
            ? { kind: "file" }
            : { kind: "text", hint: spec.hint ?? "VALUE" };
    return { name, short: spec.short, help: spec.help, value, repeatable: spec.kind === "list" };
  });
}

/** The counting run first, then each command; `completion` takes a shell's name. */
function describeCommands(main: CommandEntry, commands: readonly CommandEntry[]): CompletionCommand[] {
  return [main, ...commands].map((c) => ({ name: c.name, summary: c.summary, flags: describeFlags(c.flags), words: c.name === "completion" ? SHELLS : [] }));
}

/** The script for `shell`. */
function formatCompletion(shell: Shell, commands: readonly CompletionCommand[]): string {
  if (shell === "bash") return formatBash(commands);
  if (shell === "zsh") return formatZsh(commands);
  return formatFish(commands);
}

/** How to load each script, said by `completion --help` and the README. */
export const COMPLETION_HELP = {
  description:
    "Prints a completion script for bash, zsh or fish: commands, flags and the values of --type, --format, --log-format, --rollup and --resolution. bash: source <(wikistream completion bash) in ~/.bashrc; zsh: source <(wikistream completion zsh) in ~/.zshrc (after compinit); fish: wikistream completion fish > ~/.config/fish/completions/wikistream.fish",
  usage: ["wikistream completion bash|zsh|fish"],
};

/** Runs `wikistream completion SHELL`: the script on stdout, exit 0; a missing or unknown shell: one line, exit 2. */
function runCompletion(args: readonly string[], commands: readonly CompletionCommand[]): number {
  const words = args.filter((a) => !a.startsWith("-"));
  const shell = words[0];
  const known = (word: string | undefined): word is Shell => SHELLS.some((s) => s === word);
  if (!known(shell) || words.length > 1 || words.length < args.length) {
    const what = shell === undefined ? "no shell given" : !known(shell) ? `unknown shell '${shell}'` : `unexpected '${args.find((a) => a !== shell)}'`;
    process.stderr.write(`error: ${what}: use wikistream completion ${SHELLS.join("|")} (see wikistream completion --help)\n`);
    return 2;
  }
  process.stdout.write(formatCompletion(shell, commands));
  return 0;
}

/** The `completion` command; `entries` lists the commands and their flag tables (cli/index.ts owns them). */
export function createCompletionCommand(entries: () => Promise<{ main: CommandEntry; commands: readonly CommandEntry[] }>) {
  return defineCommand({
    meta: { name: "completion", description: COMPLETION_HELP.description },
    async run({ rawArgs }) {
      const { main, commands } = await entries();
      process.exitCode = runCompletion(rawArgs, describeCommands(main, commands));
    },
  });
}
