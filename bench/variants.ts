/**
 * Variants: the same source as dist/wikistream, built with another memory tuning (a compile-time
 * constant, runtime flags baked into the executable) into dist/bench/wikistream-<name>, so the
 * benchmark can run them beside dist/wikistream in the same rounds (issue 12).
 *
 *   bun bench/variants.ts                 build every variant
 *   bun bench/variants.ts gc-8mib no-gc   build these
 *   bun bench/variants.ts --list          name and describe them
 *
 * To add one, add an entry to VARIANTS; `bun run bench --variant NAME` runs it.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { compileExecutable, readCommit } from "../build.ts";

/** How a variant's executable differs from dist/wikistream (build.ts's `CompileJob.tuning`). */
export interface Tuning {
  /** Compile-time constants, as JavaScript source text (`"8388608"`). */
  readonly define?: Readonly<Record<string, string>>;
  /** Bun runtime flags baked into the executable, e.g. `["--smol"]`. */
  readonly execArgv?: readonly string[];
}

/** One extra build of wikistream for the benchmark. */
export interface Variant {
  /** Used on the command line (`--variant NAME`) and in the file name. */
  readonly name: string;
  /** What the report says it was built with: "(b′) dist/wikistream built with <label>". */
  readonly label: string;
  readonly tuning: Tuning;
}

/**
 * The reading loop's memory policy (src/source/memory.ts) as compile-time constants
 * (src/cli/main.ts): look at the resident set every `check` bytes read (0 = never look) and
 * force a full collection when it is above `ceiling` bytes (0 = at every look).
 */
const MIB = 1024 * 1024;

function memoryPolicy(check: number, ceiling: number): Readonly<Record<string, string>> {
  return { WIKISTREAM_MEMORY_CHECK_BYTES: String(check), WIKISTREAM_MEMORY_CEILING_BYTES: String(ceiling) };
}

/** Every variant the benchmark knows; the first is the default `--variant`. */
export const VARIANTS: readonly Variant[] = [
  { name: "gc-8mib", label: "forced full GC every 8 MiB (0.1.0's policy)", tuning: { define: memoryPolicy(8 * MIB, 0) } },
  { name: "no-gc", label: "no forced GC (Bun's own pace)", tuning: { define: memoryPolicy(0, 0) } },
  { name: "gc-64mib", label: "forced full GC every 64 MiB", tuning: { define: memoryPolicy(64 * MIB, 0) } },
  { name: "ceiling-96", label: "a full GC when RSS is over 96 MiB (looked at every 8 MiB)", tuning: { define: memoryPolicy(8 * MIB, 96 * MIB) } },
  { name: "ceiling-80", label: "a full GC when RSS is over 80 MiB (looked at every 8 MiB)", tuning: { define: memoryPolicy(8 * MIB, 80 * MIB) } },
  { name: "smol", label: "--smol, no forced GC", tuning: { define: memoryPolicy(0, 0), execArgv: ["--smol"] } },
  { name: "smol-gc-8mib", label: "--smol and a forced full GC every 8 MiB", tuning: { define: memoryPolicy(8 * MIB, 0), execArgv: ["--smol"] } },
];

/** The variants `bun run bench` runs when no `--variant` is given. */
export const DEFAULT_VARIANTS: readonly string[] = ["gc-8mib", "no-gc", "ceiling-96"];

const ROOT = new URL("..", import.meta.url).pathname;
/** Where the variants' executables go. */
export const VARIANT_DIR = join(ROOT, "dist", "bench");

/** Returns the variant called `name`; throws naming the known ones otherwise. */
export function findVariant(name: string): Variant {
  const variant = VARIANTS.find((v) => v.name === name);
  if (!variant) throw new Error(`unknown variant '${name}'; known: ${VARIANTS.map((v) => v.name).join(", ")}`);
  return variant;
}

/** The executable of a variant: dist/bench/wikistream-<name>. */
export function locateVariant(variant: Variant): string {
  return join(VARIANT_DIR, `wikistream-${variant.name}`);
}

/** Compiles the variants (in this process; build.ts logs each file on stdout). */
export async function buildVariants(variants: readonly Variant[]): Promise<void> {
  await mkdir(VARIANT_DIR, { recursive: true });
  const commit = readCommit();
  for (const variant of variants) {
    await compileExecutable({
      label: `variant ${variant.name}`,
      entry: "src/cli/index.ts",
      outfile: locateVariant(variant),
      commit,
      target: undefined,
      executablePath: undefined,
      tuning: variant.tuning,
    });
  }
}

/** The newest modification time of what a variant is built from: src/, build.ts, this file. */
function readNewestInput(): number {
  const files = [...new Bun.Glob("src/**/*.ts").scanSync({ cwd: ROOT }), "build.ts", "bench/variants.ts"];
  return files.reduce((newest, file) => Math.max(newest, statSync(join(ROOT, file)).mtimeMs), 0);
}

/**
 * Makes sure each variant's executable exists and is newer than its sources (or rebuilds all of
 * them when `force`). Builds in a child process so build.ts's output goes to our stderr.
 * Returns the executables' paths, in order.
 */
export function ensureVariants(variants: readonly Variant[], force: boolean, log: (message: string) => void): string[] {
  const newest = readNewestInput();
  const stale = variants.filter((v) => force || !existsSync(locateVariant(v)) || statSync(locateVariant(v)).mtimeMs < newest);
  if (stale.length > 0) {
    log(`building ${stale.map((v) => `dist/bench/wikistream-${v.name}`).join(", ")}…`);
    const result = Bun.spawnSync(["bun", join(ROOT, "bench", "variants.ts"), ...stale.map((v) => v.name)], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    process.stderr.write(result.stdout.toString());
    if (result.exitCode !== 0) throw new Error(`building the variants failed:\n${result.stderr.toString()}`);
  }
  return variants.map(locateVariant);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  try {
    if (args.includes("--list")) {
      for (const v of VARIANTS) console.log(`${v.name.padEnd(14)} ${v.label}`);
    } else {
      await buildVariants(args.length > 0 ? args.map(findVariant) : VARIANTS);
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
