/**
 * The three completion scripts, written from the commands' flag descriptions
 * (cli/completion.ts makes them from the flag tables). Each completes: the command as the first word, the flags of the
 * command being typed, and after a flag its values (a few words, a file, or nothing to offer).
 */
/** What a flag is completed with after it: nothing (a switch), a file, anything, or one of a few words. */
export type FlagValue = { kind: "none" } | { kind: "file" } | { kind: "text"; hint: string } | { kind: "choice"; values: readonly string[]; list: boolean };

/** One flag as the completion scripts see it. */
export interface CompletionFlag {
  readonly name: string;
  readonly short: string | undefined;
  readonly help: string;
  readonly value: FlagValue;
  /** Given more than once (`--server A --server B`): zsh offers it again after it is used. */
  readonly repeatable: boolean;
}

/** The counting run (name "") or a command, with its flags and the words it takes. */
export interface CompletionCommand {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly CompletionFlag[];
  /** Words it takes as its first argument (the shells of `completion`). */
  readonly words: readonly string[];
}

const PROGRAM = "wikistream";

function flagWords(flags: readonly CompletionFlag[]): string {
  return flags.flatMap((f) => [...(f.short ? [`-${f.short}`] : []), `--${f.name}`]).join(" ");
}

function namedCommands(commands: readonly CompletionCommand[]): CompletionCommand[] {
  return commands.filter((c) => c.name !== "");
}

/** The `case "$prev"` arms of one command in the bash script: what follows each flag that takes a value. */
function bashValueArms(flags: readonly CompletionFlag[]): string[] {
  const arms: string[] = [];
  const text = flags.filter((f) => f.value.kind === "text").map((f) => `--${f.name}`);
  for (const f of flags) {
    if (f.value.kind === "choice") {
      const words = f.value.values.join(" ");
      arms.push(f.value.list ? `--${f.name}) _${PROGRAM}_list "${words}"; return 0 ;;` : `--${f.name}) COMPREPLY=($(compgen -W "${words}" -- "$cur")); return 0 ;;`);
    } else if (f.value.kind === "file") {
      arms.push(`--${f.name}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;`);
    }
  }
  if (text.length > 0) arms.push(`${text.join("|")}) return 0 ;;`);
  return arms;
}

/** bash: `source <(wikistream completion bash)`. */
export function formatBash(commands: readonly CompletionCommand[]): string {
  const names = namedCommands(commands).map((c) => c.name);
  const arm = (c: CompletionCommand) => {
    const words = c.words.length > 0 ? [`      if (( COMP_CWORD == 2 )) && [[ $cur != -* ]]; then COMPREPLY=($(compgen -W "${c.words.join(" ")}" -- "$cur")); return 0; fi`] : [];
    const first = c.name === "" ? [`      if (( COMP_CWORD == 1 )) && [[ $cur != -* ]]; then COMPREPLY=($(compgen -W "${names.join(" ")}" -- "$cur")); return 0; fi`] : [];
    return [
      `    ${c.name === "" ? "*" : c.name})`,
      `      case "$prev" in`,
      ...bashValueArms(c.flags).map((a) => `        ${a}`),
      "      esac",
      ...words,
      ...first,
      `      COMPREPLY=($(compgen -W "${flagWords(c.flags)}" -- "$cur")) ;;`,
    ];
  };
  const main = commands.filter((c) => c.name === "");
  return `${[
    `# bash completion for ${PROGRAM}, written by \`${PROGRAM} completion bash\` from its flag tables.`,
    `# Load it with: source <(${PROGRAM} completion bash)`,
    `_${PROGRAM}_list() {`,
    '  local head="" tail="$cur"',
    '  if [[ $cur == *,* ]]; then head="${cur%,*},"; tail="${cur##*,}"; fi',
    '  COMPREPLY=($(compgen -P "$head" -W "$1" -- "$tail"))',
    "  compopt -o nospace 2>/dev/null || true",
    "}",
    `_${PROGRAM}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd=""',
    '  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    "  # --flag=value: bash splits the word at '='.",
    '  if [[ $cur == "=" ]]; then cur=""; elif [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi',
    `  if (( COMP_CWORD > 1 )); then case "\${COMP_WORDS[1]}" in ${names.join("|")}) cmd="\${COMP_WORDS[1]}" ;; esac; fi`,
    '  case "$cmd" in',
    ...namedCommands(commands).flatMap(arm),
    ...main.flatMap(arm),
    "  esac",
    "}",
    `complete -F _${PROGRAM} ${PROGRAM}`,
  ].join("\n")}\n`;
}

const zshQuote = (text: string) => text.replaceAll("'", "'\\''");
const zshHelp = (text: string) => zshQuote(text.replaceAll("[", "\\[").replaceAll("]", "\\]"));

function zshSpec(f: CompletionFlag): string[] {
  const v = f.value;
  const action =
    v.kind === "none"
      ? ""
      : v.kind === "file"
        ? ":FILE:_files"
        : v.kind === "text"
          ? `:${v.hint}: `
          : v.list
            ? `:${f.name}:_values -s , ${f.name} ${v.values.join(" ")}`
            : `:${f.name}:(${v.values.join(" ")})`;
  const names = [...(f.short ? [`-${f.short}`] : []), `--${f.name}${v.kind === "none" ? "" : "="}`];
  // _arguments hides a flag already on the line unless its spec starts with `*`.
  const repeat = f.repeatable ? "*" : "";
  return names.map((n) => `'${repeat}${n}[${zshHelp(f.help)}]${zshQuote(action)}'`);
}

/** zsh: `source <(wikistream completion zsh)` after compinit, or the file as `_wikistream` in $fpath. */
export function formatZsh(commands: readonly CompletionCommand[]): string {
  const args = (c: CompletionCommand) => [...c.flags.flatMap(zshSpec), ...(c.words.length > 0 ? [`'1:shell:(${c.words.join(" ")})'`] : [])].join(" \\\n          ");
  const main = commands.find((c) => c.name === "");
  return `${[
    `#compdef ${PROGRAM}`,
    `# zsh completion for ${PROGRAM}, written by \`${PROGRAM} completion zsh\` from its flag tables.`,
    `_${PROGRAM}() {`,
    "  local -a commands",
    "  commands=(",
    ...namedCommands(commands).map((c) => `    '${c.name}:${zshQuote(c.summary)}'`),
    "  )",
    "  case $words[2] in",
    ...namedCommands(commands).flatMap((c) => [`    ${c.name})`, "      if (( CURRENT > 2 )); then", "        shift words; (( CURRENT-- ))", `        _arguments -s \\\n          ${args(c)}`, "        return", "      fi ;;"]),
    "  esac",
    "  if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then",
    `    _describe -t commands '${PROGRAM} command' commands`,
    "    return",
    "  fi",
    ...(main ? [`  _arguments -s \\\n          ${args(main)}`] : []),
    "}",
    `if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then _${PROGRAM} "$@"; else compdef _${PROGRAM} ${PROGRAM}; fi`,
  ].join("\n")}\n`;
}

const fishQuote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

function fishFlag(condition: string, f: CompletionFlag): string {
  const v = f.value;
  const value = v.kind === "none" ? "" : v.kind === "file" ? " -r -F" : v.kind === "text" ? " -x" : ` -x -a ${fishQuote(v.values.join(" "))}`;
  return `complete -c ${PROGRAM} -n ${fishQuote(condition)}${f.short ? ` -s ${f.short}` : ""} -l ${f.name}${value} -d ${fishQuote(f.help)}`;
}

/** fish: `wikistream completion fish > ~/.config/fish/completions/wikistream.fish`. */
export function formatFish(commands: readonly CompletionCommand[]): string {
  const names = namedCommands(commands).map((c) => c.name).join(" ");
  const outside = `not __fish_seen_subcommand_from ${names}`;
  return `${[
    `# fish completion for ${PROGRAM}, written by \`${PROGRAM} completion fish\` from its flag tables.`,
    `complete -c ${PROGRAM} -f`,
    ...namedCommands(commands).map((c) => `complete -c ${PROGRAM} -n ${fishQuote(outside)} -a ${c.name} -d ${fishQuote(c.summary)}`),
    ...commands.flatMap((c) => {
      const condition = c.name === "" ? outside : `__fish_seen_subcommand_from ${c.name}`;
      const words = c.words.length > 0 ? [`complete -c ${PROGRAM} -n ${fishQuote(condition)} -a ${fishQuote(c.words.join(" "))}`] : [];
      return [...c.flags.map((f) => fishFlag(condition, f)), ...words];
    }),
  ].join("\n")}\n`;
}
