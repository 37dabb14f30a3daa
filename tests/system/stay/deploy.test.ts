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
import { FLAGS } from "../../../src/cli/flags.ts";
import { startFixtureServer } from "../../support/fixture-server.ts";
import { resolveBinary, runWikistream, spawnWikistream, waitFor } from "../../support/process.ts";

setDefaultTimeout(30_000);

const ROOT = new URL("../../..", import.meta.url).pathname;
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

  test("runs as a dynamic user, reads its settings from an env file, stays hardened", () => {
    const service = readSection(unit, "Service");
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

/** How a process ended: an exit code, or the signal that killed it. */
type Ending = { code: number } | { signal: string };

/**
 * Whether systemd restarts a service that ended so, per systemd.service(5) (Restart=, table 2,
 * and its exceptions): clean is exit 0, SIGHUP, SIGINT, SIGTERM, SIGPIPE (plus
 * SuccessExitStatus=); RestartPreventExitStatus= never restarts, RestartForceExitStatus= always.
 */
function systemdRestarts(service: Map<string, string[]>, ending: Ending): boolean {
  const list = (key: string) => (service.get(key) ?? []).flatMap((value) => value.split(/\s+/)).filter(Boolean);
  const status = "code" in ending ? String(ending.code) : ending.signal;
  if (list("RestartPreventExitStatus").includes(status)) return false;
  if (list("RestartForceExitStatus").includes(status)) return true;
  const clean = "code" in ending ? ending.code === 0 : ["SIGHUP", "SIGINT", "SIGTERM", "SIGPIPE"].includes(ending.signal);
  const cause = clean || list("SuccessExitStatus").includes(status) ? "clean" : "code" in ending ? "unclean-code" : "unclean-signal";
  const restart = service.get("Restart")?.[0] ?? "no";
  const table: Record<string, string[]> = {
    no: [],
    always: ["clean", "unclean-code", "unclean-signal"],
    "on-success": ["clean"],
    "on-failure": ["unclean-code", "unclean-signal"],
    "on-abnormal": ["unclean-signal"],
    "on-abort": ["unclean-signal"],
    "on-watchdog": [],
  };
  return (table[restart] ?? []).includes(cause);
}

/** How the binary ends when `stop` is sent once it has connected to a stream that holds. */
async function endingOn(stop: "SIGTERM" | "SIGHUP" | "SIGKILL" | "SIGSEGV"): Promise<Ending> {
  const server = startFixtureServer({ events: [], atEnd: "hold" });
  try {
    const run = spawnWikistream(["--url", server.url, "--format", "jsonl"]);
    await waitFor(() => run.stderr().includes("connected to"), 30_000, "the run to connect");
    run.proc.kill(stop);
    const { code } = await run.done;
    return run.proc.signalCode ? { signal: String(run.proc.signalCode) } : { code };
  } finally {
    await server.stop();
  }
}

describe("restarts (issue 17, item 2): never a retry storm, always back after a crash", () => {
  const service = readSection(unit, "Service");

  test("an HTTP 403 (exit 1) and a bad setting (exit 2) are not restarted", async () => {
    const server = startFixtureServer({ events: [], respond: () => new Response("forbidden\n", { status: 403 }) });
    try {
      const forbidden = await runWikistream(["--url", server.url, "--format", "jsonl"]);
      expect(forbidden.code).toBe(1);
      expect(systemdRestarts(service, { code: forbidden.code })).toBe(false);
      // One request: nothing of wikistream's own retried it either.
      expect(server.connections).toHaveLength(1);
    } finally {
      await server.stop();
    }
    const bad = await runWikistream(["--window", "7x"]);
    expect(bad.code).toBe(2);
    expect(systemdRestarts(service, { code: bad.code })).toBe(false);
  });

  test.each(["SIGTERM", "SIGHUP"] as const)("stopped by %s (exit 0, as systemctl stop or a closed session): not restarted", async (signal) => {
    const ending = await endingOn(signal);
    expect(ending).toEqual({ code: 0 });
    expect(systemdRestarts(service, ending)).toBe(false);
  });

  test.each(["SIGKILL", "SIGSEGV"] as const)("killed by %s (the OOM killer, a crash): restarted", async (signal) => {
    const ending = await endingOn(signal);
    expect(ending).toEqual({ signal });
    expect(systemdRestarts(service, ending)).toBe(true);
  });

  test("a crash loop is bounded by the start limit, and the README and the Dockerfile say the same policy", () => {
    const unitSection = readSection(unit, "Unit");
    expect(Number(unitSection.get("StartLimitBurst")?.[0])).toBeGreaterThan(0);
    expect(service.get("RestartSec")?.[0] ?? "").not.toBe("");
    const section = /## Running as a service\n([\s\S]*?)\n## /.exec(read("README.md"))?.[1] ?? "";
    expect(section).toContain(`\`Restart=${service.get("Restart")?.[0]}\``);
    expect(section).toMatch(/never after an exit: not on 0 .*, 1\s/s);
    // Docker has no way to leave exit codes out: a capped on-failure, never always/unless-stopped.
    const dockerRun = /^#\s+(docker run .*)$/m.exec(read("Dockerfile"))?.[1] ?? "";
    const policy = /--restart (\S+)/.exec(dockerRun)?.[1] ?? "";
    expect(policy).toMatch(/^on-failure:\d+$/);
    expect(section).toContain(`docker run --restart ${policy}`);
  });
});
