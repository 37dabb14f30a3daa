/**
 * Installs npm tarballs the way `npm i -g wikistream` would, into a scratch prefix and offline:
 * `--offline`, an empty cache of its own and a registry address nothing listens on, so the
 * install can only use the files given (the platform packages not given are optional: npm skips
 * them). Used by release:check and tests/system/release/release.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A scratch global prefix with wikistream installed in it. */
export interface InstalledPrefix {
  /** The scratch folder (prefix, cache, home). */
  readonly dir: string;
  /** `<prefix>/bin/wikistream`: the launcher npm linked. */
  readonly command: string;
  remove(): void;
}

/** `npm install -g` of `tarballs` into a fresh prefix, with no network; throws with npm's output on failure. */
export function installNpmPackages(tarballs: readonly string[]): InstalledPrefix {
  const npm = Bun.which("npm");
  if (!npm) throw new Error("npm is not on PATH: install Node.js");
  const dir = mkdtempSync(join(tmpdir(), "wikistream-npm-"));
  const prefix = join(dir, "prefix");
  const args = [npm, "install", "--global", "--prefix", prefix, "--offline", "--cache", join(dir, "cache"), "--registry", "http://127.0.0.1:9/", "--no-audit", "--no-fund", "--loglevel", "error", ...tarballs];
  // npm reads no user or global npmrc of this machine: only what is said here counts.
  const env = { PATH: process.env.PATH ?? "", HOME: dir, npm_config_userconfig: join(dir, "npmrc"), npm_config_globalconfig: join(dir, "npmrc-global") };
  const result = Bun.spawnSync(args, { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (result.exitCode !== 0) {
    remove();
    throw new Error(`npm install --offline failed (exit ${result.exitCode}): ${result.stderr.toString().trim()}`);
  }
  return { dir, command: join(prefix, process.platform === "win32" ? "wikistream.cmd" : join("bin", "wikistream")), remove };
}
