/**
 * The npm packages `bun run build --npm` writes to dist/npm/, the way esbuild and Biome ship
 * native binaries: a main package `wikistream` holding only a Node launcher
 * (npm-launcher.cjs), with one optionalDependency per platform package
 * `@wikistream/<target>` that holds that target's binary and declares `os`, `cpu` (and `libc`
 * on Linux), so npm installs only the one that runs here.
 *
 * The manifests are pure (tested in tests/system/release/build.test.ts); `packNpmPackages` lays the packages
 * out and runs `npm pack`.
 */
import { copyFile, link, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** The npm scope of the platform packages. */
const NPM_SCOPE = "@wikistream";

/** What build.ts's targets need here. */
export interface NpmTarget {
  readonly name: string;
  readonly os: "linux" | "darwin" | "windows";
  readonly arch: "x64" | "arm64";
}

/** What the main package.json copies from the project's. */
export interface ProjectManifest {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly license: string;
  readonly repository: string;
}

/** The package.json of a package, as written into the tarball. */
export type Manifest = Record<string, unknown>;

/**
 * The targets that get a platform package: all but `-baseline`, which is the same binary as
 * plain x64 (build.ts's TARGETS) and would be a second package matching the same machines.
 */
export function selectNpmTargets<T extends NpmTarget>(targets: readonly T[]): T[] {
  return targets.filter((t) => !t.name.endsWith("-baseline"));
}

/** `@wikistream/linux-x64-musl`: the scope and the target's name. */
export function namePlatformPackage(target: NpmTarget): string {
  return `${NPM_SCOPE}/${target.name}`;
}

/** The file name `npm pack` gives a package: `wikistream-0.2.0.tgz`, `wikistream-linux-x64-0.2.0.tgz`. */
export function nameTarball(packageName: string, version: string): string {
  return `${packageName.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** Where the binary sits inside a platform package (the launcher looks there). */
export function binaryPathIn(target: NpmTarget): string {
  return `bin/wikistream${target.os === "windows" ? ".exe" : ""}`;
}

/** The package.json of a platform package: npm's `os`/`cpu`/`libc` select it. */
export function createPlatformManifest(project: ProjectManifest, target: NpmTarget): Manifest {
  const musl = target.name.endsWith("-musl");
  return {
    name: namePlatformPackage(target),
    version: project.version,
    description: `The ${target.name} binary of wikistream (installed by the wikistream package).`,
    license: project.license,
    repository: project.repository,
    os: [target.os === "windows" ? "win32" : target.os],
    cpu: [target.arch],
    // npm 9.4+ compares libc: a glibc machine must not take the musl binary, nor Alpine the glibc one.
    ...(target.os === "linux" ? { libc: [musl ? "musl" : "glibc"] } : {}),
    files: [binaryPathIn(target)],
    preferUnplugged: true,
  };
}

/** The package.json of the main package: the launcher as `bin`, every platform package as optional. */
export function createMainManifest(project: ProjectManifest, targets: readonly NpmTarget[]): Manifest {
  return {
    name: project.name,
    version: project.version,
    description: project.description,
    license: project.license,
    repository: project.repository,
    bin: { wikistream: "bin/wikistream.js" },
    files: ["bin/wikistream.js", "README.md"],
    engines: { node: ">=18" },
    optionalDependencies: Object.fromEntries(selectNpmTargets(targets).map((t) => [namePlatformPackage(t), project.version])),
  };
}

/** A tarball written by packNpmPackages. */
export interface PackedTarball {
  readonly file: string;
  readonly bytes: number;
}

/** Hard-links (same file system) or copies a file. */
async function place(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(() => copyFile(from, to));
}

/** Runs `npm pack` on a laid-out package directory into `outDir`; returns the tarball's path. */
function pack(dir: string, outDir: string): string {
  const npm = Bun.which("npm");
  if (!npm) throw new Error("--npm needs npm on PATH (it packs the tarballs): install Node.js");
  const result = Bun.spawnSync([npm, "pack", "--json", "--pack-destination", outDir, dir], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`npm pack ${dir} failed: ${result.stderr.toString().trim()}`);
  const [info] = JSON.parse(result.stdout.toString()) as { filename: string }[];
  if (!info) throw new Error(`npm pack ${dir} printed no tarball`);
  return join(outDir, info.filename);
}

/**
 * Writes dist/npm/<tarball> for the main package and for each of `built` (target → its binary),
 * from scratch directories under dist/npm/.stage that are removed afterwards.
 */
export async function packNpmPackages(options: {
  project: ProjectManifest;
  targets: readonly NpmTarget[];
  built: ReadonlyMap<NpmTarget, string>;
  outDir: string;
  launcher: string;
  readme: string;
}): Promise<PackedTarball[]> {
  const stage = join(options.outDir, ".stage");
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  const tarballs: string[] = [];
  try {
    const main = join(stage, "wikistream");
    await mkdir(join(main, "bin"), { recursive: true });
    await Bun.write(join(main, "package.json"), `${JSON.stringify(createMainManifest(options.project, options.targets), null, 2)}\n`);
    await copyFile(options.launcher, join(main, "bin", "wikistream.js"));
    await copyFile(options.readme, join(main, "README.md"));
    tarballs.push(pack(main, options.outDir));
    for (const target of selectNpmTargets([...options.built.keys()])) {
      const dir = join(stage, target.name);
      await mkdir(join(dir, "bin"), { recursive: true });
      await Bun.write(join(dir, "package.json"), `${JSON.stringify(createPlatformManifest(options.project, target), null, 2)}\n`);
      await place(options.built.get(target) ?? "", join(dir, binaryPathIn(target)));
      tarballs.push(pack(dir, options.outDir));
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return tarballs.map((file) => ({ file, bytes: Bun.file(file).size }));
}
