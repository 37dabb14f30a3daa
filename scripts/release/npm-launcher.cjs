#!/usr/bin/env node
// The `wikistream` command of the npm package: runs the native binary of this platform's
// package (@wikistream/<os>-<arch>[-musl], one of the optionalDependencies; npm installs the one
// whose os/cpu/libc match) with the same arguments and stdio, forwards signals and exits as the
// binary does. Shipped as is by build.ts --npm (scripts/release/npm-packages.ts); plain Node, no
// dependencies.
"use strict";
const { spawn } = require("node:child_process");
const { constants } = require("node:os");
const path = require("node:path");

const RELEASES = "https://github.com/wikistream/wikistream/releases";

/** glibc reports its version in the process report; musl (Alpine) does not. */
function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    return !process.report.getReport().header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

function locateBinary() {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const name = `@wikistream/${os}-${process.arch}${isMusl() ? "-musl" : ""}`;
  try {
    const dir = path.dirname(require.resolve(`${name}/package.json`));
    return path.join(dir, "bin", process.platform === "win32" ? "wikistream.exe" : "wikistream");
  } catch {
    process.stderr.write(
      `error: wikistream has no binary for ${os}-${process.arch}${isMusl() ? " (musl)" : ""} here: the package ${name} is not installed. ` +
        `Reinstall without --omit=optional / --no-optional (npm i -g wikistream), or download the binary from ${RELEASES}\n`,
    );
    process.exit(1);
  }
}

const binary = locateBinary();
// On POSIX the binary gets a session of its own, so that a Ctrl-C (sent by the terminal to the
// whole foreground process group) reaches it once, through the launcher, and not twice: a second
// SIGINT means "exit now" to wikistream. On Windows the console delivers Ctrl-C to both processes
// and the launcher only waits.
//
// The cost of a session of its own: a launcher killed with SIGKILL (`kill -9`, `timeout -s KILL`, a
// supervisor that kills only the pid it started) forwards nothing, and the binary would run on,
// reparented, holding the Redis lock. So the launcher passes its pid in WIKISTREAM_LAUNCHER_PID
// (internal, not a flag): the binary, seeing its parent pid change from it, stops as on SIGTERM
// (src/cli/launcher.ts). Not on Windows, which neither detaches the binary nor reparents it.
const posix = process.platform !== "win32";
const env = posix ? { ...process.env, WIKISTREAM_LAUNCHER_PID: String(process.pid) } : process.env;
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", detached: posix, windowsHide: false, env });

const FORWARDED = posix ? ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2", "SIGWINCH"] : ["SIGINT", "SIGBREAK"];
const handlers = new Map();
for (const signal of FORWARDED) {
  const handler = () => {
    if (posix && child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  handlers.set(signal, handler);
  process.on(signal, handler);
}
if (posix) {
  // Ctrl-Z: the binary's own session ignores terminal stops, so stop it, then the launcher; `fg`
  // continues the launcher, which continues the binary.
  const onStop = () => {
    child.kill("SIGSTOP");
    process.kill(process.pid, "SIGSTOP");
  };
  const onContinue = () => child.kill("SIGCONT");
  handlers.set("SIGTSTP", onStop).set("SIGCONT", onContinue);
  process.on("SIGTSTP", onStop);
  process.on("SIGCONT", onContinue);
}

child.on("error", (error) => {
  const hint = error.code === "EACCES" ? ` (make it executable: chmod +x '${binary}')` : "";
  process.stderr.write(`error: cannot run ${binary}: ${error.message}${hint}\n`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Killed by a signal: die of the same one, so the caller sees what it would have seen.
  for (const [name, handler] of handlers) process.off(name, handler);
  process.kill(process.pid, signal);
  setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 1)), 100);
});
