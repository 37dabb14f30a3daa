// `wikistream completion bash|zsh|fish`: scripts made from the flag tables, loaded into the real
// shells and asked what they offer (bash through its completion function, fish with
// `complete -C`; zsh is loaded with compinit, as it has no way to ask outside a terminal).
// All three shells are always there: `bun run test` installs zsh and fish (scripts/prepare-tests.ts).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLAGS, type FlagSpec } from "../../../src/cli/flags.ts";
import { READ_FLAGS, TOP_FLAGS } from "../../../src/cli/query-flags.ts";
import { CHANGE_TYPES } from "../../../src/cli/values.ts";
import { resolveBinary } from "../../support/process.ts";

const ZSH_COMPLETE = new URL("../../support/zsh-complete.zsh", import.meta.url).pathname;

setDefaultTimeout(60_000);

let dir: string;
const scripts: Record<string, string> = {};

function completionOf(shell: string): { code: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync([resolveBinary(), "completion", shell], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wikistream-completion-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const { code, stdout } = completionOf(shell);
    expect(code).toBe(0);
    scripts[shell] = join(dir, `wikistream.${shell}`);
    writeFileSync(scripts[shell] ?? "", stdout);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every flag of a table as typed, `-h` included. */
function flagsOf(table: Readonly<Record<string, FlagSpec<unknown>>>): string[] {
  return Object.entries(table).flatMap(([name, spec]) => [...(spec.short ? [`-${spec.short}`] : []), `--${name}`]);
}

/** What bash's completion function offers for each command line (the last word is the one completed). */
function askBash(lines: string[][]): string[][] {
  const calls = lines.map((words) => `offer ${words.map((w) => `'${w}'`).join(" ")}`).join("\n");
  const program = `set -e
source '${scripts.bash}'
complete -p wikistream
offer() { COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMPREPLY=(); _wikistream; echo "\${COMPREPLY[*]}"; }
${calls}
`;
  const result = Bun.spawnSync(["bash", "--norc", "--noprofile", "-c", program], { stdout: "pipe", stderr: "pipe", cwd: dir });
  expect(result.stderr.toString()).toBe("");
  expect(result.exitCode).toBe(0);
  const [registered, ...answers] = result.stdout.toString().split("\n");
  expect(registered).toBe("complete -F _wikistream wikistream");
  return answers.slice(0, lines.length).map((line) => line.split(" ").filter(Boolean).sort());
}

describe("bash", () => {
  test("offers the commands first, then the flags of the command typed, from the flag tables", () => {
    const [commands, mainFlags, top, read, shells, partial] = askBash([
      ["wikistream", ""],
      ["wikistream", "-"],
      ["wikistream", "top", "--"],
      ["wikistream", "read", "--from", "2026-12-01", "-"],
      ["wikistream", "completion", ""],
      ["wikistream", "--ret"],
    ]);
    expect(commands).toEqual(["completion", "healthcheck", "read", "tail", "top"]);
    expect(mainFlags).toEqual(flagsOf(FLAGS).sort());
    expect(top).toEqual(flagsOf(TOP_FLAGS).filter((f) => f.startsWith("--")).sort());
    expect(read).toEqual(flagsOf(READ_FLAGS).sort());
    expect(shells).toEqual(["bash", "fish", "zsh"]);
    expect(partial).toEqual(["--retain", "--retain-rollup"]);
  });

  test("offers the values of --type, --format, --log-format and --resolution, also after '='", () => {
    const [types, typesAfterComma, format, formatEq, logFormat, resolution, afterText] = askBash([
      ["wikistream", "--type", ""],
      ["wikistream", "--type", "edit,ne"],
      ["wikistream", "--format", ""],
      ["wikistream", "--format", "=", "j"],
      ["wikistream", "--quiet", "--log-format", ""],
      ["wikistream", "top", "--resolution", ""],
      ["wikistream", "--window", ""],
    ]);
    expect(types).toEqual([...CHANGE_TYPES].sort());
    expect(typesAfterComma).toEqual(["edit,new"]);
    expect(format).toEqual(["jsonl", "text"]);
    expect(formatEq).toEqual(["jsonl"]);
    expect(logFormat).toEqual(["json", "text"]);
    expect(resolution).toEqual(["1d", "1h", "window"]);
    // A flag that takes free text gets nothing offered (not the flags, not file names).
    expect(afterText).toEqual([]);
  });
});

describe("fish", () => {
  function askFish(line: string): string[] {
    const result = Bun.spawnSync(["fish", "--no-config", "-c", `source '${scripts.fish}'; complete -C '${line}'`], { stdout: "pipe", stderr: "pipe" });
    expect(result.stderr.toString()).toBe("");
    return result.stdout.toString().split("\n").filter(Boolean).map((l) => l.split("\t")[0] ?? "").sort();
  }

  test("offers commands, flags and values", () => {
    expect(askFish("wikistream ")).toEqual(["completion", "healthcheck", "read", "tail", "top"]);
    expect(askFish("wikistream --format ")).toEqual(["jsonl", "text"]);
    expect(askFish("wikistream read --resolution ")).toEqual(["1d", "1h", "window"]);
    expect(askFish("wikistream top --wa")).toEqual(["--watch"]);
    expect(askFish("wikistream completion ")).toEqual(["bash", "fish", "zsh"]);
  });
});

describe("zsh", () => {
  test("parses, and registers _wikistream with compinit", () => {
    const program = `autoload -U compinit && compinit -u -d '${dir}/zcompdump' && source '${scripts.zsh}' && print -r -- "\${_comps[wikistream]}"`;
    const result = Bun.spawnSync(["zsh", "-f", "-c", program], { stdout: "pipe", stderr: "pipe", env: { HOME: dir, PATH: process.env.PATH ?? "" } });
    expect(result.stderr.toString()).toBe("");
    expect(result.stdout.toString()).toBe("_wikistream\n");
  });

  /** What zsh offers for a line typed in its line editor, then Tab (tests/support/zsh-complete.zsh). */
  function askZsh(line: string): string[] {
    const result = Bun.spawnSync(["zsh", "-f", ZSH_COMPLETE, scripts.zsh ?? "", line], {
      stdout: "pipe",
      stderr: "pipe",
      env: { HOME: dir, TMPDIR: dir, PATH: process.env.PATH ?? "" },
      timeout: 60_000,
    });
    expect({ line, stderr: result.stderr.toString(), code: result.exitCode }).toEqual({ line, stderr: "", code: 0 });
    return result.stdout.toString().split("\n").filter(Boolean).sort();
  }

  test("offers commands, the flags of the command typed, and values, as bash does", () => {
    expect(askZsh("wikistream ")).toEqual(["completion", "healthcheck", "read", "tail", "top"]);
    expect(askZsh("wikistream -")).toEqual(flagsOf(FLAGS).sort());
    expect(askZsh("wikistream top --")).toEqual(flagsOf(TOP_FLAGS).filter((f) => f.startsWith("--")).sort());
    // A flag given once is not offered again (zsh's _arguments), unless it is repeatable.
    expect(askZsh("wikistream read --from 2026-12-01 -")).toEqual(flagsOf(READ_FLAGS).filter((f) => f !== "--from").sort());
    expect(askZsh("wikistream read --server 'a*' --se")).toEqual(["--server"]);
    expect(askZsh("wikistream --by wiki --window 1m --b")).toEqual(["--by"]);
    expect(askZsh("wikistream --window 1m --win")).toEqual([]);
    expect(askZsh("wikistream --ret")).toEqual(["--retain", "--retain-rollup"]);
    expect(askZsh("wikistream --type ")).toEqual([...CHANGE_TYPES].sort());
    expect(askZsh("wikistream --type edit,ne")).toEqual(["edit,new"]);
    expect(askZsh("wikistream --format ")).toEqual(["jsonl", "text"]);
    expect(askZsh("wikistream --quiet --log-format ")).toEqual(["json", "text"]);
    expect(askZsh("wikistream read --resolution ")).toEqual(["1d", "1h", "window"]);
    expect(askZsh("wikistream completion ")).toEqual(["bash", "fish", "zsh"]);
  });
});

test("an unknown or missing shell is one line and exit 2", () => {
  for (const args of ["tcsh", ""]) {
    const { code, stdout, stderr } = completionOf(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("use wikistream completion bash|zsh|fish");
  }
});
