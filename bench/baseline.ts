/**
 * The baseline (`bun run bench --baseline REF`): wikistream as built from another commit (a tag,
 * a branch, a SHA), run in the same rounds as (b) and checked like it, so that "no regression"
 * is a paired figure of one bench run, not two runs on a machine whose speed drifts.
 *
 * It is built once per commit into dist/bench/wikistream-at-<sha>, from a detached git worktree
 * of that commit (its own lockfile installed, its own `bun run build`), then the worktree goes.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VARIANT_DIR } from "./variants.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** A built baseline: where its executable is, and what it is. */
export interface Baseline {
  path: string;
  /** The ref as given. */
  ref: string;
  /** Its commit, 12 hex digits. */
  sha: string;
}

/** Runs a command in `cwd`; throws with its output when it fails. */
function run(cmd: string[], cwd: string): string {
  const result = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${result.exitCode}):\n${result.stderr.toString()}${result.stdout.toString()}`);
  return result.stdout.toString();
}

/** The commit `ref` names, 12 hex digits; throws one line when it names none. */
function resolveCommit(ref: string): string {
  const result = Bun.spawnSync(["git", "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const sha = result.stdout.toString().trim();
  if (result.exitCode !== 0 || sha === "") throw new Error(`--baseline ${ref}: no such commit in this repository (a tag, a branch or a SHA)`);
  return sha.slice(0, 12);
}

/** Builds (or reuses) the executable of `ref`; `log` says what it does. */
export function prepareBaseline(ref: string, log: (message: string) => void): Baseline {
  const sha = resolveCommit(ref);
  const path = join(VARIANT_DIR, `wikistream-at-${sha}`);
  if (existsSync(path)) return { path, ref, sha };
  log(`building the baseline ${ref} (${sha}) in a worktree of its own…`);
  mkdirSync(VARIANT_DIR, { recursive: true });
  const dir = join(mkdtempSync(join(tmpdir(), "wikistream-baseline-")), "tree");
  run(["git", "worktree", "add", "--detach", "--quiet", dir, sha], ROOT);
  try {
    run(["bun", "install", "--frozen-lockfile", "--silent"], dir);
    run(["bun", "run", "build"], dir);
    copyFileSync(join(dir, "dist", "wikistream"), path);
  } finally {
    run(["git", "worktree", "remove", "--force", dir], ROOT);
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
  return { path, ref, sha };
}
