/**
 * What to do with an HTTP answer from the stream: read it, wait and retry, resume elsewhere,
 * or stop. Pure, so every status is a row of a table test.
 */
import { WikistreamError } from "../lib/error.ts";
import { formatOneLine, readPageText } from "../lib/text.ts";
import type { ReconnectCause } from "../run/ports.ts";

/** The decision for one response. */
export type ResponseAction =
  | { kind: "read" }
  /** HTTP 400 to our Last-Event-ID: the position expired or is unknown; resume by time. */
  | { kind: "resume-rejected"; why: string }
  /** Try again: after `retryAfterMs` when the server said so, else after the usual backoff. */
  | { kind: "retry"; why: string; retryAfterMs: number | undefined; cause: ReconnectCause }
  | { kind: "fatal"; error: WikistreamError };

/** What classifyResponse looks at. */
export interface ResponseFacts {
  status: number;
  contentType: string;
  retryAfter: string | null;
  /** The start of the body's text, for answers that are not the stream (a short excerpt is shown to the user). */
  body: string;
  /** Whether the request carried a Last-Event-ID. */
  sentId: boolean;
  url: string;
  userAgent: string;
  nowMs: number;
}

/** Statuses that say "not now" rather than "never": retried with backoff. */
const RETRIED_STATUSES = new Set([408, 425, 429]);

/** Decides what a response means; see {@link ResponseAction}. */
export function classifyResponse(facts: ResponseFacts): ResponseAction {
  const { status } = facts;
  const excerpt = summarizeBody(facts.body);
  const said = excerpt ? `: ${excerpt}` : "";
  if (status === 200) {
    if (facts.contentType.toLowerCase().includes("text/event-stream")) return { kind: "read" };
    return { kind: "retry", why: `sent '${facts.contentType || "no content type"}', not text/event-stream (a proxy page?)${said}`, retryAfterMs: undefined, cause: "other" };
  }
  if (status === 400 && facts.sentId) return { kind: "resume-rejected", why: `HTTP 400${said}` };
  if (status === 403) {
    const message = `the stream refused us (HTTP 403${said}). Wikimedia requires a descriptive User-Agent with contact details: pass --user-agent "yourtool/1.0 (you@example.org)" (sent: "${facts.userAgent}")`;
    return { kind: "fatal", error: new WikistreamError("forbidden", message) };
  }
  if (RETRIED_STATUSES.has(status) || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(facts.retryAfter, facts.nowMs) : undefined;
    const hint = status === 429 ? " (Wikimedia allows 2 connections per IP: is another client running?)" : "";
    const cause: ReconnectCause = status === 429 ? "429" : status >= 500 ? "5xx" : "other";
    return { kind: "retry", why: `answered HTTP ${status}${said}${hint}`, retryAfterMs, cause };
  }
  return { kind: "fatal", error: new WikistreamError("http", `the stream answered HTTP ${status}${said} for ${facts.url}: check --url`) };
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its month in letters ("Wed, 21 Oct 2015 07:28:00 GMT"); "1.5" or "-1"
  // would parse as some date in 2001 and mean "at once".
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Longest excerpt of an error body shown to the user. */
const BODY_EXCERPT_CHARS = 160;

/**
 * One line of an error body, fit for a log line: an HTML page becomes its title (or its text
 * without tags), white space is folded, and anything longer than an excerpt is cut with "…".
 */
export function summarizeBody(body: string): string {
  const text = formatOneLine(/<\s*(!doctype|html|head|body|title)\b/i.test(body) ? readPageText(body) : body);
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS - 1)}…` : text;
}
