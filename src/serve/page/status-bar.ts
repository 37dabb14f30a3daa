/// <reference lib="dom" />
/** The status line of the page: stream, events/s, lag, open windows, last write, output. */
import { formatAge } from "../../lib/format.ts";
import type { StatusMessage } from "./messages.ts";

/** The state of the page's own connection to GET /events. */
export type Connection = "connecting" | "open" | "lost";

function set(id: string, text: string, tone?: "good" | "bad"): void {
  const el = document.getElementById(id);
  if (el === null) return;
  el.textContent = text;
  el.className = tone ?? "";
}

/** What the output cell says: where windows go, and how the back-fill from Redis went. */
function describeSink(status: StatusMessage): string {
  if (!status.redis) return "stdout (no Redis)";
  const history = { none: "", loading: ", loading history…", loaded: ", history from Redis", failed: ", history unavailable" }[status.history];
  return `Redis${status.waitingFor === "redis" ? " (waiting)" : ""}${history}`;
}

/** Draws the status; `status` is null before the first message. */
export function renderStatus(status: StatusMessage | null, connection: Connection): void {
  if (connection !== "open" || status === null) {
    set("s-connection", connection === "lost" ? "page disconnected, retrying…" : "connecting…", connection === "lost" ? "bad" : undefined);
    return;
  }
  set("s-connection", status.ready ? "ready" : status.reason, status.ready ? "good" : "bad");
  set("s-rate", status.eventsPerSecond.toFixed(1));
  set("s-lag", status.lag === null ? "no event yet" : formatAge(status.lag * 1000));
  set("s-open", String(status.openWindows));
  set("s-write", status.lastWrite === null ? "none yet" : `${formatAge(Math.max(0, status.now - status.lastWrite))} ago`);
  set("s-sink", describeSink(status), status.waitingFor === "redis" ? "bad" : undefined);
}
