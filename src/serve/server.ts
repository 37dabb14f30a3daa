/**
 * The watch server (--listen): health checks, Prometheus metrics and the live page, served by
 * Bun.serve in the same process. It binds loopback unless told otherwise and shows nothing
 * secret: no Redis URL, no headers, only counts and states.
 */
import { WikistreamError, formatError, readErrorCode } from "../lib/error.ts";
import type { Logger } from "../lib/log.ts";
import type { Telemetry } from "../run/telemetry.ts";
import { createLiveBody, createReadyBody } from "./health.ts";
import { createLiveRoutes, type LiveOptions } from "./live.ts";
import { createMetricsRoutes } from "./metrics.ts";
import type { RouteSet, RouteValue } from "./routes.ts";

/** Options of startWatchServer. */
export interface WatchServerOptions {
  address: { hostname: string; port: number };
  telemetry: Telemetry;
  log: Logger;
  /** The live page's options: whether Redis is in use, and how to read its past windows. */
  live?: Omit<LiveOptions, "telemetry">;
}

/** A running watch server. */
export interface WatchServer {
  /** Where it listens, e.g. http://127.0.0.1:9464/ (the real port when 0 was asked). */
  url: string;
  stop(): Promise<void>;
}

function json(body: unknown, status = 200): Response {
  return new Response(`${JSON.stringify(body)}\n`, { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

/** GET /healthz: the process loop runs (it answered). GET /readyz: see Telemetry.readiness. */
export function createHealthRoutes(telemetry: Telemetry): RouteSet {
  return {
    routes: {
      "/healthz": () => json(createLiveBody(Math.round((Date.now() - telemetry.startedAt) / 1000))),
      "/readyz": () => {
        const { ready, reason } = telemetry.readiness();
        return json(createReadyBody(ready, reason), ready ? 200 : 503);
      },
    },
    close: () => undefined,
  };
}

/** Starts the server; a port already in use is a usage error (exit 2) with one line. */
export async function startWatchServer(options: WatchServerOptions): Promise<WatchServer> {
  const sets = [createHealthRoutes(options.telemetry), createMetricsRoutes(options.telemetry), createLiveRoutes({ telemetry: options.telemetry, redis: false, ...options.live })];
  const routes: Record<string, RouteValue> = {};
  for (const set of sets) Object.assign(routes, set.routes);
  const { hostname, port } = options.address;
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port,
      routes,
      development: false,
      fetch: () => new Response("not found: try /, /metrics, /healthz or /readyz\n", { status: 404 }),
      // A bug of ours behind a route: said on stderr, one line, and the run goes on.
      error: (error) => {
        options.log.warn(`--listen: a request failed (${formatError(error)}); answered 500`);
        return new Response("internal error\n", { status: 500 });
      },
    });
  } catch (error) {
    const code = readErrorCode(error);
    const why = code === "EADDRINUSE" ? "the port is in use" : code === "EACCES" ? "no permission to listen there" : code === "EADDRNOTAVAIL" ? "no such address on this machine" : "it cannot listen there";
    throw new WikistreamError("usage", `--listen ${hostname}:${port}: ${why}: pick another port (or stop what holds it)`);
  }
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `http://${shown}:${server.port}/`;
  options.log.info(`serving the live page, metrics and health at ${url} (/metrics, /healthz, /readyz)`);
  return {
    url,
    async stop() {
      for (const set of sets) set.close();
      await server.stop(true);
    },
  };
}
