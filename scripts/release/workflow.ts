/**
 * Reads the `run:` steps of a GitHub workflow and finds what in them can go stale as the code
 * moves: invocations of the wikistream binary (their subcommand and flags must be ones the
 * current `--help` lists), `bun run SCRIPT` (the script must be in package.json) and `bun FILE`
 * / `bash FILE` (the file must exist). Nothing runs the release workflow before tag day, so
 * release:check and tests/system/release/release.test.ts check it against the build here. The
 * commands are those the binary's own --help lists, so a new or renamed one needs no edit here.
 */

/** One `run:` step. */
export interface RunStep {
  readonly job: string;
  readonly name: string;
  readonly script: string;
}

/** A thing a run step relies on. */
export type Reference =
  | { readonly kind: "binary"; readonly step: string; readonly command: string | undefined; readonly flags: readonly string[] }
  | { readonly kind: "script"; readonly step: string; readonly name: string }
  | { readonly kind: "file"; readonly step: string; readonly path: string }
  | { readonly kind: "help-grep"; readonly step: string; readonly flag: string };

interface WorkflowYaml {
  jobs?: Record<string, { steps?: { name?: string; run?: string; uses?: string }[] }>;
}

/** Every `run:` step of a workflow, in order. */
export function listRunSteps(yaml: string): RunStep[] {
  const parsed = Bun.YAML.parse(yaml) as WorkflowYaml;
  return Object.entries(parsed.jobs ?? {}).flatMap(([job, spec]) =>
    (spec.steps ?? []).flatMap((step) => (typeof step.run === "string" ? [{ job, name: step.name ?? step.run.split("\n")[0] ?? "", script: step.run }] : [])),
  );
}

/** Splits a shell line into words, dropping quotes (enough for workflow scripts: no nesting of `$(…)` with quotes). */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let started = false;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (/\s/.test(c)) {
      if (started || word !== "") words.push(word);
      word = "";
      started = false;
    } else if (c === "#" && word === "" && !started) {
      break;
    } else {
      word += c;
    }
  }
  if (started || word !== "") words.push(word);
  return words;
}

const OPERATORS = new Set(["|", "||", "&&", ";", "&", ">", ">>", "2>&1", "<", "2>"]);
/** A word that names a wikistream binary: a release file, the host build, `$bin` set to one, the test image. */
const BINARY = /(^|\/)wikistream(-\$\{?VERSION\}?-[\w${}.-]+|\.exe)?$|^\$\{?bin\}?$|^wikistream:test$/;

/** Commands that run the word they are given: `timeout 120 wikistream …`, `qemu-aarch64 -L DIR wikistream`. */
const WRAPPERS = /^(timeout|qemu-[\w-]+|exec|env|sudo|nohup)$/;

/** The options of `docker run` that take a value as the next word (`-v SRC:DST`, `--platform P`). */
const DOCKER_RUN_VALUE_OPTIONS = new Set(["-v", "--volume", "-e", "--env", "--env-file", "-p", "--publish", "-w", "--workdir", "--name", "--network", "--platform", "--entrypoint", "-u", "--user", "--mount", "-l", "--label", "-h", "--hostname", "-m", "--memory", "--cpus", "--add-host"]);

/** The index of the image in `docker run [OPTIONS] IMAGE …` starting at words[start], or -1 when it is not `docker run`. */
function findDockerImage(words: readonly string[], start: number): number {
  if (words[start] !== "docker" || words[start + 1] !== "run") return -1;
  for (let i = start + 2; i < words.length; i++) {
    const word = words[i] ?? "";
    if (OPERATORS.has(word)) return -1;
    if (!word.startsWith("-")) return i;
    if (DOCKER_RUN_VALUE_OPTIONS.has(word)) i++;
  }
  return -1;
}

/**
 * Whether words[i] is run (first word of a command, what a wrapper runs, the image of `docker
 * run`) rather than an argument (`cp`, `chmod +x`, `docker buildx build -t NAME`).
 */
function isCommandPosition(words: readonly string[], i: number): boolean {
  let start = i;
  while (start > 0 && !OPERATORS.has(words[start - 1] ?? "")) start--;
  if (start === i) return true;
  if (words[start] === "docker") return findDockerImage(words, start) === i;
  return WRAPPERS.test(words[start] ?? "") && !/^-/.test(words[i - 1] ?? "");
}

/** What one step's script relies on. */
export function findReferences(step: RunStep): Reference[] {
  const refs: Reference[] = [];
  const lines = step.script.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    // `sh -c "… && wikistream --version"`: the quoted script's words count too.
    const words = splitWords(line).flatMap((w, i, all) => (all[i - 1] === "-c" ? splitWords(w) : [w]));
    for (const [i, word] of words.entries()) {
      const prev = words[i - 1];
      if (word === "bun" && words[i + 1] === "run" && words[i + 2] !== undefined) refs.push({ kind: "script", step: step.name, name: words[i + 2] ?? "" });
      else if ((word === "bun" || word === "bash") && /\.(ts|js|sh)$|^\.ci\//.test(words[i + 1] ?? "")) refs.push({ kind: "file", step: step.name, path: words[i + 1] ?? "" });
      else if (BINARY.test(word) && !/^\w+=/.test(word) && isCommandPosition(words, i)) {
        const args = words.slice(i + 1);
        const end = args.findIndex((w) => OPERATORS.has(w) || /^[12]?>/.test(w));
        const own = end === -1 ? args : args.slice(0, end);
        // The counting run takes flags only: a first word that is not one names a command.
        const command = own[0] !== undefined && !own[0].startsWith("-") ? own[0] : undefined;
        refs.push({ kind: "binary", step: step.name, command, flags: own.filter((w) => /^--?[a-z]/.test(w)).map((w) => w.split("=")[0] ?? w) });
      } else if (word === "grep" && words.at(-1) === "help.txt") {
        const flag = words.slice(i + 1, -1).find((w) => /^--[a-z]/.test(w));
        if (flag) refs.push({ kind: "help-grep", step: step.name, flag });
      }
    }
  }
  return refs;
}

/** Lists the flags a --help text names: `--redis-url URL`, `-h, --help`. */
export function listHelpFlags(help: string): Set<string> {
  return new Set([...help.matchAll(/(?<![\w-])(--?[a-z][a-z0-9-]*)/g)].map((m) => m[1] ?? ""));
}

/** Lists the commands the main --help's usage lines name: `wikistream top [flags]` gives `top`. */
export function listHelpCommands(help: string): string[] {
  const lines = help.split("\n");
  const first = lines.findIndex((line) => line.startsWith("Usage:"));
  if (first === -1) return [];
  const end = lines.findIndex((line, i) => i > first && line.trim() === "");
  const usage = lines.slice(first, end === -1 ? undefined : end);
  return usage.flatMap((line) => /^(?:Usage:)?\s*wikistream ([a-z][a-z-]*)\b/.exec(line)?.[1] ?? []);
}

/**
 * The flags of the counting run (key "") and of every command its --help names, from the
 * binary's --help texts (`readHelp(["top", "--help"])` returns one).
 */
export function collectHelpFlags(readHelp: (args: readonly string[]) => string): Map<string, Set<string>> {
  const main = readHelp(["--help"]);
  const help = new Map<string, Set<string>>([["", listHelpFlags(main)]]);
  for (const command of listHelpCommands(main)) help.set(command, listHelpFlags(readHelp([command, "--help"])));
  return help;
}

/** What to check references against. */
export interface Known {
  /** The --help text of the counting run (key "") and of each subcommand. */
  readonly help: ReadonlyMap<string, Set<string>>;
  readonly scripts: ReadonlySet<string>;
  readonly exists: (path: string) => boolean;
}

/** One line per reference that no longer holds; empty when every one does. */
export function checkReferences(refs: readonly Reference[], known: Known): string[] {
  const problems: string[] = [];
  for (const ref of refs) {
    if (ref.kind === "script" && !known.scripts.has(ref.name)) problems.push(`step '${ref.step}': bun run ${ref.name}: package.json has no such script`);
    if (ref.kind === "file" && !known.exists(ref.path)) problems.push(`step '${ref.step}': ${ref.path} does not exist`);
    if (ref.kind === "help-grep" && !known.help.get("")?.has(ref.flag)) problems.push(`step '${ref.step}': looks for ${ref.flag} in --help, which does not list it`);
    if (ref.kind === "binary") {
      const flags = known.help.get(ref.command ?? "");
      const where = ref.command ? `wikistream ${ref.command}` : "wikistream";
      if (!flags) problems.push(`step '${ref.step}': ${where} is not a command`);
      else for (const flag of ref.flags) if (!flags.has(flag)) problems.push(`step '${ref.step}': ${where} has no flag ${flag} (not in its --help)`);
    }
  }
  return problems;
}
