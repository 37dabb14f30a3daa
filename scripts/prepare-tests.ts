/**
 * What the test suite needs beyond Bun and node_modules: programs it starts (a real
 * redis-server, redis-cli, openssl for TLS certificates, chromium for the live page,
 * systemd-analyze for the service unit, prometheus and its promtool for the metrics, the alert
 * rules and the dashboard, zsh and fish to load `wikistream completion`'s scripts). Installs the missing ones with apt-get where that is possible
 * without a password (root, or sudo that does not ask); otherwise names them in one line with
 * the command to run, and exits 1.
 *
 *   bun scripts/prepare-tests.ts
 */

/** Program → the Debian package that provides it. */
export const TEST_TOOLS: Record<string, string> = {
  "redis-server": "redis-server",
  "redis-cli": "redis-tools",
  openssl: "openssl",
  chromium: "chromium",
  "systemd-analyze": "systemd",
  prometheus: "prometheus",
  promtool: "prometheus",
  zsh: "zsh",
  fish: "fish",
};

/**
 * A browser of the caller's own for the page test (`WIKISTREAM_BROWSER=/usr/bin/google-chrome`,
 * as on GitHub's runners, where Debian's chromium package is not to be had) stands in for chromium.
 */
function isProvided(tool: string): boolean {
  if (tool !== "chromium") return false;
  const own = process.env.WIKISTREAM_BROWSER;
  return own !== undefined && own !== "" && Bun.file(own).size > 0;
}

/** What to do about missing programs: nothing, install these packages, or tell the user. */
export type Plan = { kind: "ready" } | { kind: "install"; packages: string[] } | { kind: "tell"; message: string };

/** Decides from what is missing and whether apt-get may be used without a password. Pure, for tests. */
export function planTestTools(missing: readonly string[], canInstall: boolean): Plan {
  if (missing.length === 0) return { kind: "ready" };
  const packages = [...new Set(missing.map((tool) => TEST_TOOLS[tool] ?? tool))];
  if (canInstall) return { kind: "install", packages };
  // macOS comes with zsh; Homebrew has the rest under these names.
  const brew = ["redis", "openssl", ...["prometheus", "fish"].filter((p) => packages.includes(p))];
  return {
    kind: "tell",
    message: `the tests need ${missing.join(", ")}: install ${missing.length === 1 ? "it" : "them"} (Debian/Ubuntu: sudo apt-get install ${packages.join(" ")}; macOS: brew install ${brew.join(" ")}), then run again`,
  };
}

function run(command: string[]): boolean {
  return Bun.spawnSync(command, { stdout: "ignore", stderr: "inherit" }).exitCode === 0;
}

/** How to run apt-get here without a password prompt, or undefined. */
function resolveAptPrefix(): string[] | undefined {
  if (Bun.which("apt-get") === null) return undefined;
  if (process.getuid?.() === 0) return [];
  if (Bun.which("sudo") !== null && run(["sudo", "-n", "true"])) return ["sudo", "-n"];
  return undefined;
}

/**
 * The Python that runs the README's redis-py reader (tests/system/faults/feed.test.ts): the system's,
 * where apt-get installs python3-redis, rather than one a version manager put first on PATH.
 */
export function resolvePython(): string {
  return Bun.file("/usr/bin/python3").size > 0 ? "/usr/bin/python3" : "python3";
}

/** redis-py for that Python, as the Debian package that provides it, when it is missing. */
function listMissingPythonModules(): string[] {
  try {
    return Bun.spawnSync([resolvePython(), "-c", "import redis"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0 ? [] : ["python3-redis"];
  } catch {
    return ["python3-redis"]; // no python3 at all: the package brings it
  }
}

function main(): number {
  const missing = () => [...Object.keys(TEST_TOOLS).filter((tool) => Bun.which(tool) === null && !isProvided(tool)), ...listMissingPythonModules()];
  const apt = resolveAptPrefix();
  const plan = planTestTools(missing(), apt !== undefined);
  if (plan.kind === "ready") return 0;
  if (plan.kind === "install" && apt !== undefined) {
    process.stderr.write(`prepare-tests: installing ${plan.packages.join(", ")} with apt-get\n`);
    const env = ["env", "DEBIAN_FRONTEND=noninteractive"];
    if (run([...apt, ...env, "apt-get", "update", "-qq"]) && run([...apt, ...env, "apt-get", "install", "-y", "-qq", ...plan.packages]) && missing().length === 0) return 0;
  }
  const told = planTestTools(missing(), false);
  if (told.kind === "tell") process.stderr.write(`${told.message}\n`);
  return 1;
}

if (import.meta.main) process.exit(main());
