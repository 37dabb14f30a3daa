/**
 * Compiles wikistream into single-file executables with `Bun.build({ compile })`.
 *
 *   bun run build                      dist/wikistream for this machine
 *   bun run build --all                every release target + dist/SHA256SUMS
 *   bun run build --target linux-arm64 one release target (repeatable; no SHA256SUMS)
 *   bun run build --npm                every target + dist/npm/*.tgz: `wikistream` and `@wikistream/<target>`
 *                                      (with --target: the main package and those targets' packages)
 *
 * Cross-compiling needs the Bun runtime of each target. Bun downloads it itself from
 * the npm registry (`@oven/bun-<os>-<arch>@<bun version>`) and caches it in
 * `~/.bun/install/cache/`. Where that download is not possible, install the packages
 * with npm and pass `--runtime-dir`:
 *
 *   npm install --prefix /tmp/rt --no-save --force @oven/bun-linux-aarch64@$(bun --version)
 *   bun run build --all --runtime-dir /tmp/rt/node_modules
 *
 * The pure parts (target table, file naming, SHA256SUMS formatting, argument parsing)
 * are exported for tests; the build itself only runs when this file is the entry point.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { dirname, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "./package.json" with { type: "json" };
import { packNpmPackages } from "./scripts/release/npm-packages.ts";

/** An operating system wikistream ships for. */
export type TargetOs = "linux" | "darwin" | "windows";

/** A CPU architecture wikistream ships for. */
export type TargetArch = "x64" | "arm64";

/** One release binary: how it is named, and what Bun needs to build it. */
export interface BuildTarget {
  /** The name used on the command line and in file names, e.g. `linux-x64-baseline`. */
  readonly name: string;
  /** Bun's `--target` for this binary. */
  readonly bunTarget: Bun.Build.CompileTarget;
  readonly os: TargetOs;
  readonly arch: TargetArch;
  /** The npm package holding this target's Bun runtime (what Bun downloads, and what `--runtime-dir` looks for). */
  readonly runtimePackage: string;
  /** Whether to precompile the bundle to JavaScriptCore bytecode for faster start-up. */
  readonly bytecode: boolean;
}

/**
 * Every release target. For Bun 1.4.5 the runtime `-baseline` downloads
 * (`@oven/bun-linux-x64-baseline`) is byte-identical to `@oven/bun-linux-x64` (compare them with
 * `cmp`), so the `-baseline` binary is the linux-x64 binary: every target is compiled under the
 * same file name (see compileExecutable) and `bun run release:check` verifies that the two hash
 * alike. Built separately under their own names, the two used to differ in ~300 KB (same size):
 * Bun embeds the output's file name in the executable (`/$bunfs/root/<name>`) and the bytecode
 * depends on it. It stays in the table so the file name people with older CPUs look for keeps
 * existing; if a Bun release makes the runtimes differ, release:check says so.
 */
export const TARGETS: readonly BuildTarget[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", os: "linux", arch: "x64", runtimePackage: "@oven/bun-linux-x64", bytecode: true },
  {
    name: "linux-x64-baseline",
    bunTarget: "bun-linux-x64-baseline",
    os: "linux",
    arch: "x64",
    runtimePackage: "@oven/bun-linux-x64-baseline",
    bytecode: true,
  },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", os: "linux", arch: "arm64", runtimePackage: "@oven/bun-linux-aarch64", bytecode: true },
  {
    name: "linux-x64-musl",
    bunTarget: "bun-linux-x64-musl",
    os: "linux",
    arch: "x64",
    runtimePackage: "@oven/bun-linux-x64-musl",
    bytecode: true,
  },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64", os: "darwin", arch: "x64", runtimePackage: "@oven/bun-darwin-x64", bytecode: true },
  {
    name: "darwin-arm64",
    bunTarget: "bun-darwin-arm64",
    os: "darwin",
    arch: "arm64",
    runtimePackage: "@oven/bun-darwin-aarch64",
    bytecode: true,
  },
  { name: "windows-x64", bunTarget: "bun-windows-x64", os: "windows", arch: "x64", runtimePackage: "@oven/bun-windows-x64", bytecode: true },
];

/** The program's name: the stem of every file this script writes. */
export const PROGRAM_NAME = "wikistream";

/** The checksum file written next to the release binaries by `--all`. */
export const CHECKSUMS_FILE = "SHA256SUMS";

/** Returns the target called `name` (`linux-arm64` or Bun's `bun-linux-arm64`), or undefined. */
export function findTarget(name: string): BuildTarget | undefined {
  return TARGETS.find((t) => t.name === name || t.bunTarget === name);
}

/** Returns `.exe` for Windows and the empty string elsewhere. */
export function pickExtension(os: TargetOs): "" | ".exe" {
  return os === "windows" ? ".exe" : "";
}

/** Names a release binary: `wikistream-0.1.0-linux-x64-baseline`, `wikistream-0.1.0-windows-x64.exe`. */
export function nameArtifact(version: string, target: BuildTarget): string {
  return `${PROGRAM_NAME}-${version}-${target.name}${pickExtension(target.os)}`;
}

/** Names the binary `bun run build` writes for the machine it runs on: `wikistream`, or `wikistream.exe` on Windows. */
export function nameHostBinary(platform: NodeJS.Platform): string {
  return `${PROGRAM_NAME}${platform === "win32" ? ".exe" : ""}`;
}

/** A file's name (relative to dist/) and its SHA-256 as lowercase hex. */
export interface Checksum {
  readonly file: string;
  readonly sha256: string;
}

/**
 * Formats checksums the way `sha256sum` prints them and `sha256sum -c` reads them:
 * `<hex>  <file>` (two spaces: text mode), one per line, sorted by name, ending in a newline.
 * Throws on names sha256sum would have to escape and on anything but 64 lowercase hex digits.
 */
export function formatChecksums(checksums: readonly Checksum[]): string {
  const lines = [...checksums]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map(({ file, sha256 }) => {
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256 hex digest for ${file}: '${sha256}'`);
      if (file === "" || /[\\\n\r]/.test(file) || file.startsWith("/")) throw new Error(`cannot list '${file}' in ${CHECKSUMS_FILE}`);
      return `${sha256}  ${file}\n`;
    });
  return lines.join("");
}

/** Formats a byte count as megabytes (10^6 bytes) with one decimal: `109.2 MB`. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Formats a file size: megabytes from 1 MB up (`54.5 MB`), else kilobytes (`18.8 kB`). */
export function formatSize(bytes: number): string {
  return bytes >= 1_000_000 ? formatMegabytes(bytes) : `${(bytes / 1000).toFixed(1)} kB`;
}

/** Combines `git rev-parse --short HEAD` and whether tracked files changed into the embedded commit label. */
export function composeCommitLabel(shortSha: string | undefined, dirty: boolean): string {
  const sha = shortSha?.trim();
  if (!sha) return "unknown";
  return dirty ? `${sha}-dirty` : sha;
}

/** What the command line asked for. */
export interface BuildRequest {
  /** `host`: dist/wikistream for this machine; `release`: versioned binaries for `targets`. */
  readonly mode: "host" | "release";
  /** The release targets to build, in table order (empty in `host` mode). */
  readonly targets: readonly BuildTarget[];
  /** Whether to write dist/SHA256SUMS (with `--all`, and `--npm` without `--target`). */
  readonly writeChecksums: boolean;
  /** Whether to write the npm tarballs to dist/npm/ (`--npm`). */
  readonly npm: boolean;
  /** The entry point, relative to the project root (or absolute). */
  readonly entry: string;
  /** A folder laid out like node_modules holding `@oven/bun-*` packages, used instead of downloading runtimes. */
  readonly runtimeDir: string | undefined;
  readonly help: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: bun build.ts [--all | --target NAME...] [--npm] [--entry FILE] [--runtime-dir DIR]

  (no flag)          build dist/${PROGRAM_NAME} for this machine
  --all              build every target into dist/${PROGRAM_NAME}-<version>-<target>[.exe] and write dist/${CHECKSUMS_FILE}
  --target NAME      build one target (repeatable); NAME is one of:
                     ${TARGETS.map((t) => t.name).join(", ")}
  --npm              also write dist/npm/: the package ${PROGRAM_NAME} (a Node launcher) and one
                     @wikistream/<target> package per target; alone, it builds every target
  --entry FILE       entry point (default src/cli/index.ts)
  --runtime-dir DIR  take each target's Bun runtime from DIR/@oven/bun-<os>-<arch>/bin/bun[.exe]
                     instead of letting Bun download it (DIR is a node_modules folder)
`;

/** Parses build.ts's arguments. Throws with a usage message on unknown flags or target names. */
export function parseBuildArgs(argv: readonly string[]): BuildRequest {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      all: { type: "boolean", default: false },
      npm: { type: "boolean", default: false },
      target: { type: "string", multiple: true },
      entry: { type: "string", default: "src/cli/index.ts" },
      "runtime-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'\n\n${USAGE}`);
  const names = values.target ?? [];
  if (values.all && names.length > 0) throw new Error(`--all and --target exclude each other\n\n${USAGE}`);
  const wanted = names.map((name) => {
    const target = findTarget(name);
    if (!target) throw new Error(`unknown target '${name}'; known: ${TARGETS.map((t) => t.name).join(", ")}`);
    return target;
  });
  const every = values.all || (values.npm && names.length === 0);
  const targets = every ? TARGETS : TARGETS.filter((t) => wanted.includes(t));
  return {
    mode: targets.length > 0 ? "release" : "host",
    targets,
    writeChecksums: every,
    npm: values.npm,
    entry: values.entry,
    runtimeDir: values["runtime-dir"],
    help: values.help,
  };
}

/** Flattens a Bun.build failure (an AggregateError of build messages, or anything else) into one line per message. */
export function describeBuildError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map((e) => String(e)).join("\n");
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// Side effects: git, the file system and the compiler. Run only from main().

const ROOT = import.meta.dir;
const DIST = join(ROOT, "dist");

function runGit(args: readonly string[]): { ok: boolean; out: string } {
  try {
    const proc = Bun.spawnSync(["git", ...args], { cwd: ROOT, stdout: "pipe", stderr: "ignore" });
    return { ok: proc.exitCode === 0, out: proc.stdout.toString() };
  } catch {
    return { ok: false, out: "" }; // git is not installed
  }
}

/** Reads the commit to embed: short SHA, `-dirty` when tracked files changed, `unknown` outside a git checkout. */
export function readCommit(): string {
  const head = runGit(["rev-parse", "--short", "HEAD"]);
  if (!head.ok) return composeCommitLabel(undefined, false);
  const status = runGit(["status", "--porcelain", "--untracked-files=no"]);
  return composeCommitLabel(head.out, status.ok && status.out.trim() !== "");
}

/** Streams a file through SHA-256 and returns the hex digest. */
export async function hashFile(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/** One executable to compile. */
export interface CompileJob {
  /** Names the job in messages: the target's name, or `host`. */
  readonly label: string;
  readonly entry: string;
  readonly outfile: string;
  readonly commit: string;
  readonly target: BuildTarget | undefined;
  readonly executablePath: string | undefined;
  /**
   * For the benchmark only (bench/variants.ts): runtime flags baked into the executable
   * (`--smol`) and compile-time constants, to build a tuning beside the real one.
   */
  readonly tuning?: { readonly execArgv?: readonly string[]; readonly define?: Readonly<Record<string, string>> };
}

/**
 * Compiles one executable; throws an Error naming the target when Bun fails. Returns the output's size in bytes.
 * Bun embeds the output's file name in the executable, and the bytecode depends on it: every job
 * is compiled as `wikistream[.exe]` in a scratch folder, then moved to its versioned name, so the
 * same code on the same runtime gives the same bytes (and a half-written file is never in dist/).
 */
export async function compileExecutable(job: CompileJob): Promise<number> {
  const started = performance.now();
  const stage = join(dirname(job.outfile), `.stage-${job.label}`);
  const staged = join(stage, `${PROGRAM_NAME}${job.target ? pickExtension(job.target.os) : extname(job.outfile)}`);
  await rm(stage, { recursive: true, force: true });
  try {
    const result = await Bun.build({
      entrypoints: [resolve(ROOT, job.entry)],
      compile: {
        ...(job.target ? { target: job.target.bunTarget } : {}),
        ...(job.executablePath ? { executablePath: job.executablePath } : {}),
        outfile: staged,
        ...(job.tuning?.execArgv ? { execArgv: [...job.tuning.execArgv] } : {}),
        // Compile-time switches: the binary must not pick up a .env or bunfig.toml from
        // whatever directory a user happens to run it in.
        autoloadDotenv: false,
        autoloadBunfig: false,
        autoloadTsconfig: false,
        autoloadPackageJson: false,
      },
      format: "esm",
      minify: true,
      bytecode: job.target?.bytecode ?? true,
      // "linked" embeds the source map in the executable (stack traces name src/ files and
      // lines) and also writes <outfile>.map, removed with the scratch folder: it is not shipped.
      sourcemap: "linked",
      define: { WIKISTREAM_COMMIT: JSON.stringify(job.commit), ...job.tuning?.define },
    });
    if (!result.success) throw new AggregateError(result.logs, "build failed");
    await rename(staged, job.outfile);
  } catch (error) {
    throw new Error(`${job.label}: build failed\n${describeBuildError(error)}`, { cause: error });
  } finally {
    // Also takes the <outfile>.map Bun writes beside the executable.
    await rm(stage, { recursive: true, force: true });
  }
  const size = Bun.file(job.outfile).size;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`  ${relative(ROOT, job.outfile).padEnd(48)} ${formatMegabytes(size).padStart(9)}  ${seconds}s`);
  return size;
}

/** Where `--runtime-dir` expects a target's Bun runtime; throws naming the target when it is missing. */
function locateRuntime(runtimeDir: string, target: BuildTarget): string {
  const path = resolve(runtimeDir, target.runtimePackage, "bin", `bun${pickExtension(target.os)}`);
  if (!existsSync(path)) {
    throw new Error(`${target.name}: no Bun runtime at ${path} (npm install --prefix <dir> --no-save --force ${target.runtimePackage}@${Bun.version})`);
  }
  return path;
}

/** Deletes release files of earlier runs (any version) so a release never uploads stale binaries. */
async function removeStaleArtifacts(): Promise<void> {
  const entries = existsSync(DIST) ? await readdir(DIST) : [];
  for (const entry of entries) {
    if (entry.startsWith(`${PROGRAM_NAME}-`) || entry === CHECKSUMS_FILE) await rm(join(DIST, entry), { force: true });
  }
}

/** Runs the build the command line asked for. */
export async function runBuild(request: BuildRequest): Promise<void> {
  const commit = readCommit();
  const version = pkg.version;
  await mkdir(DIST, { recursive: true });
  console.log(`${PROGRAM_NAME} ${version} (${commit}) with Bun ${Bun.version}`);

  if (request.mode === "host") {
    const outfile = join(DIST, nameHostBinary(process.platform));
    await compileExecutable({ label: "host", entry: request.entry, outfile, commit, target: undefined, executablePath: undefined });
    return;
  }

  if (request.writeChecksums) await removeStaleArtifacts();
  // A single-target build changes a file the old checksums name: they no longer hold.
  else await rm(join(DIST, CHECKSUMS_FILE), { force: true });
  const checksums: Checksum[] = [];
  const built = new Map<BuildTarget, string>();
  let total = 0;
  // Check every runtime before compiling anything, so a missing one fails fast.
  const runtimeDir = request.runtimeDir;
  const runtimes = request.targets.map((target) => (runtimeDir ? locateRuntime(runtimeDir, target) : undefined));
  for (const [i, target] of request.targets.entries()) {
    const file = nameArtifact(version, target);
    const outfile = join(DIST, file);
    const executablePath = runtimes[i];
    total += await compileExecutable({ label: target.name, entry: request.entry, outfile, commit, target, executablePath });
    built.set(target, outfile);
    if (request.writeChecksums) checksums.push({ file, sha256: await hashFile(outfile) });
  }
  if (request.writeChecksums) {
    await Bun.write(join(DIST, CHECKSUMS_FILE), formatChecksums(checksums));
    console.log(`  ${relative(ROOT, join(DIST, CHECKSUMS_FILE)).padEnd(48)} ${checksums.length} files`);
  }
  console.log(`${request.targets.length} target(s), ${formatMegabytes(total)} in total`);
  if (request.npm) {
    const tarballs = await packNpmPackages({
      project: pkg,
      targets: TARGETS,
      built,
      outDir: join(DIST, "npm"),
      launcher: join(ROOT, "scripts", "release", "npm-launcher.cjs"),
      readme: join(ROOT, "README.md"),
    });
    for (const tarball of tarballs) console.log(`  ${relative(ROOT, tarball.file).padEnd(48)} ${formatSize(tarball.bytes).padStart(9)}`);
  }
}

if (import.meta.main) {
  try {
    const request = parseBuildArgs(Bun.argv.slice(2));
    if (request.help) {
      console.log(USAGE);
    } else {
      await runBuild(request);
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
