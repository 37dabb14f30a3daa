/**
 * The health answers of the watch server (GET /healthz, /readyz), and how `wikistream
 * healthcheck` tells them from another server's: both sides read the shape from here, so a
 * probe never takes some other web server's 200 (or a 404 page) for a running wikistream.
 */
import { formatOneLine, readPageText } from "../lib/text.ts";

/** Names the program in every health body: another server's `{"status":"ok"}` is not ours. */
const SERVICE = "wikistream";

/** A health body as served (JSON). */
export interface HealthBody {
  service: typeof SERVICE;
  /** `ok` on /healthz; `ready` or `not ready` on /readyz. */
  status: "ok" | "ready" | "not ready";
  reason: string;
  uptime_seconds?: number;
}

/** The body of GET /healthz: the process runs. */
export function createLiveBody(uptimeSeconds: number): HealthBody {
  return { service: SERVICE, status: "ok", reason: "the process is running", uptime_seconds: uptimeSeconds };
}

/** The body of GET /readyz (200 when ready, else 503). */
export function createReadyBody(ready: boolean, reason: string): HealthBody {
  return { service: SERVICE, status: ready ? "ready" : "not ready", reason };
}

/** What an answer to a probe says: healthy, or one line of why not. */
export type HealthVerdict = { healthy: true } | { healthy: false; why: string };

/** Words of a foreign body quoted at most: enough to recognise it, never a page. */
const QUOTED_WORDS = 8;
const QUOTED_CHARS = 60;

/** A few words of a body: an HTML page's title (else its text without tags), whitespace folded. */
function quoteBody(body: string): string {
  const text = formatOneLine(readPageText(body));
  if (text === "") return "an empty body";
  const words = text.split(" ");
  let quoted = words.slice(0, QUOTED_WORDS).join(" ");
  if (quoted.length > QUOTED_CHARS) quoted = quoted.slice(0, QUOTED_CHARS).trimEnd();
  return `"${quoted}${quoted.length < text.length ? "…" : ""}"`;
}

/** The body parsed when it is one of ours, else undefined. */
function parseHealthBody(text: string): HealthBody | undefined {
  try {
    const body = JSON.parse(text) as Partial<HealthBody> | null;
    if (body === null || typeof body !== "object" || body.service !== SERVICE || typeof body.status !== "string") return undefined;
    return { service: SERVICE, status: body.status, reason: typeof body.reason === "string" ? body.reason : "" };
  } catch {
    return undefined;
  }
}

/**
 * Judges a probe's answer: healthy only when wikistream said so (200 and its body). Its own
 * "not ready" is said with the reason; anything else (another server, a proxy's page) with the
 * status and a few words of the body.
 */
export function judgeHealthAnswer(status: number, text: string, ready: boolean): HealthVerdict {
  const body = parseHealthBody(text);
  if (body === undefined) return { healthy: false, why: `answered ${status} with ${quoteBody(text)}, not wikistream's health answer: is the address the one wikistream serves with --listen?` };
  const expected = ready ? "ready" : "ok";
  if (status === 200 && body.status === expected) return { healthy: true };
  return { healthy: false, why: `answered ${status}: ${body.status}${body.reason === "" ? "" : ` (${body.reason})`}` };
}
