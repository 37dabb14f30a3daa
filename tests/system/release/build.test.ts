// Fast checks of build.ts's pure parts: the target table, file names, SHA256SUMS, argument
// parsing and the npm manifests. Nothing here compiles; tests/system/release/release.test.ts runs
// `bun run release:check --fast`, and CI and the release workflow run all of it.
import { describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CHECKSUMS_FILE,
  TARGETS,
  composeCommitLabel,
  describeBuildError,
  findTarget,
  formatChecksums,
  formatMegabytes,
  formatSize,
  hashFile,
  nameArtifact,
  nameHostBinary,
  parseBuildArgs,
} from "../../../build.ts";
import { binaryPathIn, createMainManifest, createPlatformManifest, nameTarball, selectNpmTargets } from "../../../scripts/release/npm-packages.ts";

function requireTarget(name: string) {
  const target = findTarget(name);
  if (!target) throw new Error(`no target ${name}`);
  return target;
}

describe("TARGETS", () => {
  test("lists the seven release targets with Bun's names", () => {
    expect(TARGETS.map((t) => [t.name, t.bunTarget])).toEqual([
      ["linux-x64", "bun-linux-x64"],
      ["linux-x64-baseline", "bun-linux-x64-baseline"],
      ["linux-arm64", "bun-linux-arm64"],
      ["linux-x64-musl", "bun-linux-x64-musl"],
      ["darwin-x64", "bun-darwin-x64"],
      ["darwin-arm64", "bun-darwin-arm64"],
      ["windows-x64", "bun-windows-x64"],
    ]);
  });

  test("names each target after its os and arch, and its runtime after Bun's npm package", () => {
    for (const t of TARGETS) {
      expect(t.name.startsWith(`${t.os}-${t.arch}`)).toBe(true);
      expect(t.bunTarget as string).toBe(`bun-${t.name}`);
      const npmArch = t.arch === "arm64" ? "aarch64" : "x64";
      expect(t.runtimePackage.startsWith(`@oven/bun-${t.os}-${npmArch}`)).toBe(true);
    }
    expect(new Set(TARGETS.map((t) => t.name)).size).toBe(TARGETS.length);
  });

  test("finds a target by our name or by Bun's", () => {
    expect(findTarget("linux-arm64")?.bunTarget).toBe("bun-linux-arm64");
    expect(findTarget("bun-windows-x64")?.name).toBe("windows-x64");
    expect(findTarget("linux-riscv64")).toBeUndefined();
  });
});

describe("file names", () => {
  test("versions release binaries and gives only Windows an .exe", () => {
    expect(nameArtifact("0.1.0", requireTarget("linux-x64-baseline"))).toBe("wikistream-0.1.0-linux-x64-baseline");
    expect(nameArtifact("0.1.0", requireTarget("windows-x64"))).toBe("wikistream-0.1.0-windows-x64.exe");
    expect(nameArtifact("0.1.0", requireTarget("darwin-arm64"))).toBe("wikistream-0.1.0-darwin-arm64");
    expect(TARGETS.filter((t) => nameArtifact("1.2.3", t).endsWith(".exe")).map((t) => t.name)).toEqual(["windows-x64"]);
  });

  test("names the host binary dist/wikistream", () => {
    expect(nameHostBinary("linux")).toBe("wikistream");
    expect(nameHostBinary("darwin")).toBe("wikistream");
    expect(nameHostBinary("win32")).toBe("wikistream.exe");
  });
});

describe("SHA256SUMS", () => {
  const a = "a".repeat(64);
  const b = "0123456789abcdef".repeat(4);

  test("prints '<hex>  <name>' lines sorted by name, newline-terminated", () => {
    const text = formatChecksums([
      { file: "wikistream-0.1.0-windows-x64.exe", sha256: a },
      { file: "wikistream-0.1.0-darwin-arm64", sha256: b },
    ]);
    expect(text).toBe(`${b}  wikistream-0.1.0-darwin-arm64\n${a}  wikistream-0.1.0-windows-x64.exe\n`);
    expect(formatChecksums([])).toBe("");
  });

  test("refuses what sha256sum would escape or could not read", () => {
    expect(() => formatChecksums([{ file: "a\nb", sha256: a }])).toThrow();
    expect(() => formatChecksums([{ file: "a\\b", sha256: a }])).toThrow();
    expect(() => formatChecksums([{ file: "/abs", sha256: a }])).toThrow();
    expect(() => formatChecksums([{ file: "x", sha256: "A".repeat(64) }])).toThrow();
    expect(() => formatChecksums([{ file: "x", sha256: "ab" }])).toThrow();
  });

  test("hashes a file and the result passes `sha256sum -c`", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wikistream-build-test-"));
    try {
      await writeFile(join(dir, "wikistream-0.0.0-linux-x64"), "abc");
      const sha256 = await hashFile(join(dir, "wikistream-0.0.0-linux-x64"));
      expect(sha256).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); // SHA-256("abc")
      await writeFile(join(dir, CHECKSUMS_FILE), formatChecksums([{ file: "wikistream-0.0.0-linux-x64", sha256 }]));
      if (Bun.which("sha256sum")) {
        const check = Bun.spawnSync(["sha256sum", "-c", CHECKSUMS_FILE], { cwd: dir, stdout: "pipe", stderr: "pipe" });
        expect(check.stdout.toString()).toBe("wikistream-0.0.0-linux-x64: OK\n");
        expect(check.exitCode).toBe(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("parseBuildArgs", () => {
  test("no flag builds for this machine from src/cli/index.ts", () => {
    const request = parseBuildArgs([]);
    expect(request.mode).toBe("host");
    expect(request.targets).toEqual([]);
    expect(request.writeChecksums).toBe(false);
    expect(request.entry).toBe("src/cli/index.ts");
    expect(request.runtimeDir).toBeUndefined();
  });

  test("--all builds every target and writes SHA256SUMS", () => {
    const request = parseBuildArgs(["--all"]);
    expect(request.mode).toBe("release");
    expect(request.targets).toEqual(TARGETS);
    expect(request.writeChecksums).toBe(true);
  });

  test("--npm alone builds every target with SHA256SUMS; with --target, only those", () => {
    expect(parseBuildArgs([]).npm).toBe(false);
    const all = parseBuildArgs(["--npm"]);
    expect([all.mode, all.targets, all.writeChecksums, all.npm]).toEqual(["release", TARGETS, true, true]);
    const one = parseBuildArgs(["--npm", "--target", "linux-x64"]);
    expect([one.targets.map((t) => t.name), one.writeChecksums, one.npm]).toEqual([["linux-x64"], false, true]);
  });

  test("--target picks targets in table order, without SHA256SUMS", () => {
    const request = parseBuildArgs(["--target", "windows-x64", "--target=bun-linux-arm64", "--runtime-dir", "/rt"]);
    expect(request.targets.map((t) => t.name)).toEqual(["linux-arm64", "windows-x64"]);
    expect(request.writeChecksums).toBe(false);
    expect(request.runtimeDir).toBe("/rt");
  });

  test("rejects unknown targets, flags, positionals and --all with --target", () => {
    expect(() => parseBuildArgs(["--target", "linux-riscv64"])).toThrow(/unknown target 'linux-riscv64'/);
    expect(() => parseBuildArgs(["--al"])).toThrow();
    expect(() => parseBuildArgs(["all"])).toThrow(/unexpected argument 'all'/);
    expect(() => parseBuildArgs(["--all", "--target", "linux-x64"])).toThrow(/exclude each other/);
  });
});

describe("labels", () => {
  test("embeds the short SHA, -dirty, or unknown", () => {
    expect(composeCommitLabel("1a2b3c4\n", false)).toBe("1a2b3c4");
    expect(composeCommitLabel("1a2b3c4", true)).toBe("1a2b3c4-dirty");
    expect(composeCommitLabel(undefined, true)).toBe("unknown");
    expect(composeCommitLabel("", false)).toBe("unknown");
  });

  test("prints sizes in MB", () => {
    expect(formatMegabytes(109_213_872)).toBe("109.2 MB");
    expect(formatMegabytes(0)).toBe("0.0 MB");
    expect(formatSize(54_474_940)).toBe("54.5 MB");
    expect(formatSize(18_812)).toBe("18.8 kB");
  });

  test("flattens Bun.build's AggregateError into its messages", () => {
    expect(describeBuildError(new AggregateError([new Error("one"), "two"], "build failed"))).toBe("Error: one\ntwo");
    expect(describeBuildError(new Error("plain"))).toBe("plain");
    expect(describeBuildError("text")).toBe("text");
  });
});

describe("npm packages", () => {
  const project = { name: "wikistream", version: "0.2.0", description: "d", license: "MIT", repository: "https://github.com/wikistream/wikistream" };

  test("one platform package per target but -baseline (the same binary as linux-x64)", () => {
    expect(selectNpmTargets(TARGETS).map((t) => t.name)).toEqual(["linux-x64", "linux-arm64", "linux-x64-musl", "darwin-x64", "darwin-arm64", "windows-x64"]);
  });

  test("the main package: the launcher as bin, every platform package as an optional dependency of the same version", () => {
    const main = createMainManifest(project, TARGETS);
    expect(main.name).toBe("wikistream");
    expect(main.bin).toEqual({ wikistream: "bin/wikistream.js" });
    expect(main.optionalDependencies).toEqual({
      "@wikistream/linux-x64": "0.2.0",
      "@wikistream/linux-arm64": "0.2.0",
      "@wikistream/linux-x64-musl": "0.2.0",
      "@wikistream/darwin-x64": "0.2.0",
      "@wikistream/darwin-arm64": "0.2.0",
      "@wikistream/windows-x64": "0.2.0",
    });
    expect(main.dependencies).toBeUndefined();
  });

  test("platform packages say os, cpu and (on Linux) libc as npm spells them, and hold the binary", () => {
    const fields = (name: string) => {
      const m = createPlatformManifest(project, requireTarget(name));
      return [m.name, m.os, m.cpu, m.libc, m.files];
    };
    expect(fields("linux-x64")).toEqual(["@wikistream/linux-x64", ["linux"], ["x64"], ["glibc"], ["bin/wikistream"]]);
    expect(fields("linux-x64-musl")).toEqual(["@wikistream/linux-x64-musl", ["linux"], ["x64"], ["musl"], ["bin/wikistream"]]);
    expect(fields("linux-arm64")).toEqual(["@wikistream/linux-arm64", ["linux"], ["arm64"], ["glibc"], ["bin/wikistream"]]);
    expect(fields("darwin-arm64")).toEqual(["@wikistream/darwin-arm64", ["darwin"], ["arm64"], undefined, ["bin/wikistream"]]);
    expect(fields("windows-x64")).toEqual(["@wikistream/windows-x64", ["win32"], ["x64"], undefined, ["bin/wikistream.exe"]]);
    expect(binaryPathIn(requireTarget("windows-x64"))).toBe("bin/wikistream.exe");
  });

  test("names tarballs as npm pack does", () => {
    expect(nameTarball("wikistream", "0.2.0")).toBe("wikistream-0.2.0.tgz");
    expect(nameTarball("@wikistream/linux-x64", "0.2.0")).toBe("wikistream-linux-x64-0.2.0.tgz");
  });
});
