/**
 * GET /metrics: the run's telemetry in the Prometheus text format, made with prom-client on a
 * registry of its own. Every value is read from the telemetry when Prometheus scrapes (collect
 * callbacks), so nothing here runs per event; only the write-latency histogram is fed as writes
 * land, about once a second.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { COMMIT, VERSION } from "../lib/version.ts";
import type { Telemetry } from "../run/telemetry.ts";
import type { AddOutcome } from "../window/types.ts";
import type { RouteSet } from "./routes.ts";

/** Label values of the window outcomes, in the words the summary line uses. */
const OUTCOME_LABELS: Record<AddOutcome, string> = { counted: "counted", late: "late", final: "replayed_into_final", "after-until": "after_until" };

/**
 * Write latency buckets, 1 ms to 10 s: a local Redis answers in about a millisecond, a remote one
 * in tens, and a write that waited out a failover in seconds.
 */
export const WRITE_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Default process metrics of prom-client left out: under Bun they do not throw but report
 * nothing true. Bun has no libuv handles, requests or resources to list (always 0), no V8 heap
 * spaces (JavaScriptCore's heap is not split that way: zeros), emits no `gc` performance
 * entries (an always-empty histogram), and its Node.js version is the one it imitates.
 */
export const DROPPED_DEFAULT_METRICS = [
  "nodejs_active_handles",
  "nodejs_active_handles_total",
  "nodejs_active_requests",
  "nodejs_active_requests_total",
  "nodejs_active_resources",
  "nodejs_active_resources_total",
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
  "nodejs_gc_duration_seconds",
  "nodejs_version_info",
];

/** Turns `invalid-json` into `invalid_json`: label values in the style of metric names. */
function labelOf(key: string): string {
  return key.replaceAll("-", "_");
}

/** A counter whose value is a cumulative number the telemetry already keeps. */
function counterOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A counter with one label, from a table of cumulative numbers (every key present, zeros too). */
function counterBy(registry: Registry, name: string, help: string, label: string, read: () => Iterable<[string, number]>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of read()) this.inc({ [label]: key }, value);
    },
  });
}

/** A gauge read on scrape; null leaves it without a sample (unknown is not zero). */
function gaugeOf(registry: Registry, name: string, help: string, read: () => number | null): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value === null) this.remove({});
      else this.set(value);
    },
  });
}

/** Events read, by what became of them. */
function registerEventMetrics(registry: Registry, telemetry: Telemetry): void {
  const { stats } = telemetry;
  counterOf(registry, "wikistream_events_read_total", "Events read from the stream (message events, counted or not).", () => stats.events);
  counterBy(
    registry,
    "wikistream_events_total",
    "Events with a usable time and server_name, by outcome: counted, late (its window was already final), " +
      "replayed_into_final (read again after a restart, for a window already final), after_until (at or after --until).",
    "outcome",
    () => Object.entries(stats.outcomes).map(([outcome, n]): [string, number] => [OUTCOME_LABELS[outcome as AddOutcome], n]),
  );
  counterBy(registry, "wikistream_events_skipped_total", "Events not counted, by reason (canary, invalid_json, filtered, duplicate, oversized, ...).", "reason", () =>
    Object.entries(stats.skipped).map(([reason, n]): [string, number] => [labelOf(reason), n]),
  );
  counterOf(registry, "wikistream_stream_error_events_total", "SSE events of type error sent by the stream server.", () => stats.streamErrors);
  // The run adds up the slow path when it ends (the count lives in the event room, out of reach here).
  counterOf(registry, "wikistream_slow_path_events_total", "Events the fast field scanner handed to JSON.parse (added when a run of the pipeline ends).", () => stats.slowPath);
}

/** Windows and writes: how far the results got. Returns what stops the histogram's feed. */
function registerSinkMetrics(registry: Registry, telemetry: Telemetry): () => void {
  counterOf(registry, "wikistream_windows_written_total", "Final windows written, each once.", () => telemetry.stats.windowsWritten);
  counterOf(registry, "wikistream_provisional_window_writes_total", "Writes of windows not final yet (rewritten while late events may arrive).", () => telemetry.provisionalWrites);
  counterOf(registry, "wikistream_sink_writes_total", "Writes that landed (each may hold several windows).", () => telemetry.writes);
  counterBy(registry, "wikistream_sink_errors_total", "Failed writes or connections, by kind (connection, oom, busy, auth, ...; redis_behind, redis_ahead, checkpoint_gone, reply_lost when the checkpoint is not the one this writer left; a kind appears once met).", "kind", () =>
    telemetry.sinkErrors.entries(),
  );
  gaugeOf(registry, "wikistream_last_write_timestamp_seconds", "Unix time of the last write that landed; no sample before the first.", () =>
    telemetry.lastWriteAt === null ? null : telemetry.lastWriteAt / 1000,
  );
  gaugeOf(registry, "wikistream_backlog_windows", "Windows the sink holds unwritten.", () => telemetry.backlog());
  gaugeOf(registry, "wikistream_open_windows", "Windows holding counts that are not final yet.", () => telemetry.openWindows().length);
  const duration = new Histogram({
    name: "wikistream_sink_write_duration_seconds",
    help: "How long each write took, from sending it to its answer.",
    buckets: WRITE_DURATION_BUCKETS,
    registers: [registry],
  });
  return telemetry.subscribe({ onWrite: (durationMs) => duration.observe(durationMs / 1000) });
}

/** The stream connection, the run's health and the build. */
function registerStreamMetrics(registry: Registry, telemetry: Telemetry): void {
  counterBy(
    registry,
    "wikistream_stream_reconnects_total",
    "Times the stream had to be connected again, by cause: drop, idle, 429, 5xx, 400 (position expired), network, other.",
    "cause",
    () => Object.entries(telemetry.reconnects),
  );
  counterOf(registry, "wikistream_stream_connections_total", "Stream connections accepted (HTTP 200 with an event stream).", () => telemetry.stats.connections);
  gaugeOf(registry, "wikistream_stream_connected", "1 while the stream is connected, else 0.", () => (telemetry.streamConnected ? 1 : 0));
  gaugeOf(registry, "wikistream_lag_seconds", "Seconds between now and the newest event time seen; no sample before the first event.", () => telemetry.lagSeconds());
  gaugeOf(registry, "wikistream_ready", "1 when /readyz answers 200 (stream connected, writes current), else 0.", () => (telemetry.readiness().ready ? 1 : 0));
  // Tells a hot standby (not ready by design) from a run that is not ready because something broke.
  gaugeOf(registry, "wikistream_standby", "1 while standing by for another instance's lock (--standby), else 0.", () => (telemetry.standingBy ? 1 : 0));
  const build = new Gauge({
    name: "wikistream_build_info",
    help: "Always 1; the labels name the version and the commit of this build.",
    labelNames: ["version", "commit"],
    registers: [registry],
  });
  build.set({ version: VERSION, commit: COMMIT }, 1);
}

/**
 * How often the event-loop lag is sampled (ms). prom-client's 10 ms wakes the process 100
 * times a second: +0.8 % of a core on an idle run here, more than the run itself. At 100 ms
 * it costs about 0.2 % and still catches every stall long enough to matter.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** The process metrics of prom-client that tell the truth under Bun (see DROPPED_DEFAULT_METRICS). */
function registerProcessMetrics(registry: Registry): void {
  // Unprefixed on purpose: process_cpu_seconds_total and the like are the names every
  // Prometheus client exports, and the dashboards made for them look for these.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
}

/** Builds the registry of a process's metrics; returns it with what stops the histogram's feed. */
export function createMetricsRegistry(telemetry: Telemetry): { registry: Registry; close(): void } {
  const registry = new Registry();
  registerEventMetrics(registry, telemetry);
  const unsubscribe = registerSinkMetrics(registry, telemetry);
  registerStreamMetrics(registry, telemetry);
  registerProcessMetrics(registry);
  return { registry, close: unsubscribe };
}

/**
 * How long a rendering of /metrics serves the scrapes that follow it (ms). A rendering takes
 * about 0.5 ms, most of it prom-client's event-loop lag, and holds the event loop: 50 scrapes at
 * once were rendered one after the other, the last waiting 30 to 40 ms (p99). Shared for this
 * long, they wait about 5 ms at p99, and a value is never older than this: nothing to a
 * Prometheus that scrapes every 15 s.
 */
const RENDER_REUSE_MS = 100;

/** The /metrics route (Prometheus text exposition, `text/plain; version=0.0.4`). */
export function createMetricsRoutes(telemetry: Telemetry): RouteSet {
  const { registry, close } = createMetricsRegistry(telemetry);
  const headers = { "content-type": registry.contentType, "cache-control": "no-store" };
  // Kept encoded: each scrape that shares it sends the bytes as they are, answered at once.
  let last: { body: Uint8Array<ArrayBuffer>; at: number } = { body: new Uint8Array(), at: Number.NEGATIVE_INFINITY };
  let rendering: Promise<Uint8Array<ArrayBuffer>> | undefined;
  const respond = (body: Uint8Array<ArrayBuffer>) => new Response(body, { headers });
  const scrape = (): Response | Promise<Response> => {
    const now = performance.now();
    if (now - last.at < RENDER_REUSE_MS) return respond(last.body);
    rendering ??= registry
      .metrics()
      .then((text) => {
        last = { body: new TextEncoder().encode(text), at: now };
        return last.body;
      })
      .finally(() => {
        rendering = undefined;
      });
    return rendering.then(respond);
  };
  return {
    routes: { "/metrics": scrape },
    close,
  };
}
