/**
 * What the page says while it has no window to show: what it waits for, and why (the stream's
 * last error, Redis, the lock), instead of an empty chart. No DOM here.
 */
import type { StatusMessage } from "./messages.ts";
import type { Connection } from "./status-bar.ts";

/** What the page waits for (a heading), and why (a sentence). */
interface Waiting {
  title: string;
  detail: string;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What the page waits for before it can draw its first window, and why. */
export function describeWaiting(status: StatusMessage | null, connection: Connection): Waiting {
  if (connection === "lost") return { title: "Waiting for wikistream", detail: "The page lost its connection to the run, and retries by itself." };
  if (status === null) return { title: "Waiting for wikistream", detail: "Connecting to the run…" };
  const title = "Waiting for the first window";
  if (status.history === "loading") return { title, detail: "Loading the last hour of windows from Redis…" };
  if (!status.ready) return { title, detail: `${capitalize(status.reason)}.` };
  if (status.eventsPerSecond > 0) {
    return { title, detail: `${status.eventsPerSecond.toFixed(1)} events/s arrive, none counted yet: filtered out by --server, test events, or too late (the run's log says which).` };
  }
  return { title, detail: "The stream is connected, waiting for its first event." };
}
