/** /readyz's reason names the stream's last error (issue 17, item 9), and only while it holds. */
import { describe, expect, test } from "bun:test";
import { Telemetry } from "../../../src/run/telemetry.ts";

function createTelemetry(): Telemetry {
  const telemetry = new Telemetry(() => 1_800_000_000_000);
  telemetry.attach({ newestEventMs: () => null, openWindows: () => [], backlog: () => 0 });
  return telemetry;
}

/** Connects as the run does (it counts the connection, then tells the telemetry). */
function connect(telemetry: Telemetry): void {
  telemetry.stats.connections++;
  telemetry.onConnected();
}

describe("the readiness reason while the stream is down", () => {
  test("before any attempt, after failed ones (with the last error), after a connection, and after a clean drop", () => {
    const telemetry = createTelemetry();
    expect(telemetry.readiness()).toEqual({ ready: false, reason: "the stream is not connected yet" });
    telemetry.onDisconnected("network", 1000, "cannot reach the server (getaddrinfo ENOTFOUND stream.example)");
    expect(telemetry.readiness().reason).toBe("the stream has not connected yet: cannot reach the server (getaddrinfo ENOTFOUND stream.example); retrying");
    telemetry.onDisconnected("other", 2000, "the server sent 'text/html', not text/event-stream (a proxy page?)");
    expect(telemetry.readiness().reason).toBe("the stream has not connected yet: the server sent 'text/html', not text/event-stream (a proxy page?); retrying");
    connect(telemetry);
    expect(telemetry.readiness().ready).toBe(true);
    telemetry.onDisconnected("5xx", 1000, "the server answered HTTP 503");
    expect(telemetry.readiness()).toEqual({ ready: false, reason: "the stream is disconnected: the server answered HTTP 503; reconnecting" });
    connect(telemetry);
    // EventStreams ends every connection about every 15 minutes: no error to show.
    telemetry.onDisconnected("drop", 0);
    expect(telemetry.readiness().reason).toBe("the stream is disconnected; reconnecting");
    expect(telemetry.lastStreamError).toBeNull();
  });
});
