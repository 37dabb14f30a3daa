/**
 * Deploying it (issue 10, item 4): the systemd unit passes `systemd-analyze verify` with no
 * warning, names only settings wikistream has, and the Dockerfile stages what the release
 * workflow builds. (No container runtime runs here: the image itself is built by the release
 * workflow; see the README.)
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLAGS } from "../../src/cli/flags.ts";
import { resolveBinary } from "../support/process.ts";

setDefaultTimeout(30_000);

const ROOT = new URL("../..", import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const unit = read("deploy/wikistream.service");

/** `Key=value` lines of one section of a unit file. */
function readSection(text: string, section: string): Map<string, string[]> {
  const body = text.split(`[${section}]`)[1]?.split(/^\[/m)[0] ?? "";
  const out = new Map<string, string[]>();
  for (const line of body.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) out.set(match[1] ?? "", [...(out.get(match[1] ?? "") ?? []), match[2] ?? ""]);
  }
  return out;
}

describe("deploy/wikistream.service", () => {
  test("systemd-analyze verify finds nothing to say (the binary in place of /usr/local/bin/wikistream)", () => {
    const dir = mkdtempSync(join(tmpdir(), "wikistream-unit-"));
    try {
      // verify checks that ExecStart and EnvironmentFile exist: point them at this checkout's files.
      const local = unit
        .replace("ExecStart=/usr/local/bin/wikistream", `ExecStart=${resolveBinary()}`)
        .replace("EnvironmentFile=/etc/wikistream.env", `EnvironmentFile=${join(ROOT, "deploy/wikistream.env")}`);
      expect(local).not.toBe(unit);
      const path = join(dir, "wikistream.service");
      writeFileSync(path, local);
      const result = Bun.spawnSync(["systemd-analyze", "verify", path], { stdout: "pipe", stderr: "pipe" });
      expect({ code: result.exitCode, out: `${result.stdout.toString()}${result.stderr.toString()}` }).toEqual({ code: 0, out: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("restarts always (not on a bad setting), runs as a dynamic user, reads its settings from an env file, stays hardened", () => {
    const service = readSection(unit, "Service");
    expect(service.get("Restart")).toEqual(["always"]);
    expect(service.get("RestartPreventExitStatus")).toEqual(["2"]);
    expect(service.get("DynamicUser")).toEqual(["yes"]);
    expect(service.get("EnvironmentFile")).toEqual(["/etc/wikistream.env"]);
    for (const key of ["NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "RestrictNamespaces", "LockPersonality"]) {
      expect(service.get(key)?.[0] ?? "").not.toBe("");
    }
    expect(service.get("ExecStart")).toEqual(["/usr/local/bin/wikistream"]);
  });

  test("every setting in the unit and the env file is one wikistream has", () => {
    const known = new Set([...Object.values(FLAGS).flatMap((spec) => (spec.env ? [spec.env] : []))]);
    const named = [...unit.matchAll(/Environment=(\w+)=/g), ...read("deploy/wikistream.env").matchAll(/^#?\s*(\w+)=/gm)].map((m) => m[1] ?? "");
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((name) => !known.has(name))).toEqual([]);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const release = read(".github/workflows/release.yml");

  test("a distroless base, a user without privileges, a health check", () => {
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/cc-debian12:nonroot$/m);
    expect(dockerfile).toMatch(/^USER nonroot:nonroot$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n\s+CMD \["\/usr\/local\/bin\/wikistream", "healthcheck"\]$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/wikistream"\]$/m);
  });

  test("copies the binaries from where the release workflow stages them, for both architectures", () => {
    expect(dockerfile).toContain("COPY --chmod=0755 dist/docker/linux-${TARGETARCH}/wikistream /usr/local/bin/wikistream");
    for (const arch of ["amd64", "arm64"]) expect(release).toContain(`dist/docker/linux-${arch}/wikistream`);
    expect(release).toContain("--platform linux/amd64,linux/arm64 --push");
  });
});
