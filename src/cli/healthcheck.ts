/**
 * `wikistream healthcheck`: asks a running instance's watch server (--listen) whether it is
 * alive (GET /healthz), or with --ready whether it does its job (GET /readyz), and exits 0 or 1:
 * 0 only for wikistream's own answer (serve/health.ts), never for another server's 200.
 * For a container's HEALTHCHECK or a Kubernetes exec probe, where there is no curl.
 */
import { defineCommand } from "citty";
import { WikistreamError, formatError } from "../lib/error.ts";
import { describeNetworkError, speaksTls } from "../lib/network.ts";
import { createLogger, resolveColor } from "../lib/log.ts";
import { judgeHealthAnswer } from "../serve/health.ts";
import { FLAGS, flag, type FlagSpec } from "./flags.ts";
import { resolveFlags } from "./parse.ts";
import { retargetUsage, type ListenAddress } from "./values.ts";

/** The flags of `healthcheck`: where the instance listens (the same setting as its own --listen). */
export const HEALTHCHECK_FLAGS = {
  listen: { ...FLAGS.listen, defaultHelp: "none: required", help: "where the instance serves health: its own --listen" },
  ready: flag({ kind: "boolean", help: "ask GET /readyz (does its job) instead of /healthz (alive)", parse: () => true }),
  help: FLAGS.help,
} as const satisfies Record<string, FlagSpec<unknown>>;

/** What --help says above the flags. */
export const HEALTHCHECK_HELP = {
  description:
    "Asks a running wikistream's watch server whether it is alive (GET /healthz) or ready (--ready, GET /readyz); exit 0 when it says so, 1 otherwise (a bad flag too: Docker reserves 2). For container health checks.",
  usage: ["wikistream healthcheck [--ready] [--listen ADDR]"],
};

/**
 * How long the answer may take: under the 5 s `--timeout` of the Dockerfile's HEALTHCHECK, so
 * that a slow instance is said as such here rather than killed there. (A Kubernetes exec probe
 * waits 1 s by default: give it `timeoutSeconds: 5`.)
 */
const TIMEOUT_MS = 4000;

/** Every failure's exit code, a bad flag's too: Docker reserves 2 for health checks. */
const UNHEALTHY = 1;

/** Where to connect for an address the server binds: all interfaces are reached on loopback. */
export function resolveProbeUrl(address: ListenAddress, ready: boolean): string {
  const host = address.hostname === "0.0.0.0" ? "127.0.0.1" : address.hostname === "::" ? "::1" : address.hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/${ready ? "readyz" : "healthz"}`;
}

/**
 * Why the request failed, in one line. A connection closed before any answer may be a TLS
 * server dropping plain HTTP: asked directly, it is named as such (wikistream serves plain HTTP).
 */
async function describeProbeFailure(error: unknown, url: string): Promise<string> {
  if (error instanceof Error && error.name === "TimeoutError") return `${url} did not answer (no answer within ${TIMEOUT_MS / 1000}s): is wikistream running with --listen there?`;
  const why = describeNetworkError(error);
  const { hostname, port } = new URL(url);
  if (why !== "connection refused" && (await speaksTls(hostname.replace(/^\[|\]$/g, ""), Number(port), TIMEOUT_MS))) {
    return `${url} speaks TLS (HTTPS), but wikistream's --listen serves plain HTTP: is another server on that port? check --listen`;
  }
  return `${url} did not answer (${why}): is wikistream running with --listen there?`;
}

/** Runs the check; returns the exit code. */
export async function healthcheck(rawArgs: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const log = createLogger({ color: resolveColor(process.stderr.isTTY === true, env) });
  let url = "";
  try {
    const values = resolveFlags(rawArgs, env, HEALTHCHECK_FLAGS);
    const listen = values.listen as ListenAddress | undefined;
    if (listen === undefined) {
      log.error("no address to ask: give --listen ADDR (or WIKISTREAM_LISTEN), the one the instance serves health on (see wikistream healthcheck --help)");
      return UNHEALTHY;
    }
    url = resolveProbeUrl(listen, values.ready === true);
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
    const verdict = judgeHealthAnswer(response.status, await response.text(), values.ready === true);
    if (verdict.healthy) return 0;
    log.error(`${url} ${verdict.why}`);
    return UNHEALTHY;
  } catch (error) {
    if (url === "") {
      log.error(formatError(error instanceof WikistreamError ? retargetUsage(error, "healthcheck") : error));
      return UNHEALTHY;
    }
    log.error(await describeProbeFailure(error, url));
    return UNHEALTHY;
  }
}

/** The citty command. */
export const healthcheckCommand = defineCommand({
  meta: { name: "healthcheck", description: HEALTHCHECK_HELP.description },
  async run({ rawArgs }) {
    process.exitCode = await healthcheck(rawArgs);
  },
});
