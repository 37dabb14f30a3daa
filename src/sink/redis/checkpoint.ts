/** The checkpoint as a Redis hash: every field a string, times in Unix milliseconds, empty for none. */
import { WikistreamError } from "../../lib/error.ts";
import { VERSION } from "../../lib/version.ts";
import type { Checkpoint } from "../../window/types.ts";

/** The checkpoint as Redis hash fields. */
export function formatCheckpointFields(checkpoint: Checkpoint, nowMs: number): Record<string, string> {
  const text = (n: number | null) => (n === null ? "" : String(n));
  return {
    id: checkpoint.resume.id ?? "",
    since_ms: text(checkpoint.resume.sinceMs),
    max_seen_ms: text(checkpoint.resume.maxSeenMs),
    recent: JSON.stringify(checkpoint.resume.recent),
    recent_times: JSON.stringify(checkpoint.resume.recentTimes ?? []),
    read_after: String(checkpoint.readAfter ?? 0),
    final_ms: text(checkpoint.finalMs),
    origin_ms: text(checkpoint.originMs),
    window_ms: String(checkpoint.windowMs),
    lateness_ms: String(checkpoint.latenessMs),
    updated_ms: String(nowMs),
    version: VERSION,
  };
}

/** Reads checkpoint hash fields back; null when absent, throws a `checkpoint` error when unreadable. */
export function parseCheckpointFields(fields: Record<string, string>, key: string): Checkpoint | null {
  if (Object.keys(fields).length === 0) return null;
  const num = (name: string): number | null => {
    const value = fields[name];
    if (value === undefined || value === "") return null;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new WikistreamError("checkpoint", `${key} field ${name} is '${value}', not a number: delete the key or run with --no-resume`);
    return n;
  };
  const recent = parseJsonList(fields.recent);
  // Absent from checkpoints of 0.1.x: the stream's time is then decided afresh from the events read.
  const recentTimes = parseJsonList(fields.recent_times);
  const windowMs = num("window_ms");
  const latenessMs = num("lateness_ms");
  const valid = recent?.every((r) => typeof r === "string") && recentTimes?.every((t) => typeof t === "number" && Number.isFinite(t));
  if (!valid || windowMs === null || latenessMs === null) {
    throw new WikistreamError("checkpoint", `${key} is not a wikistream checkpoint: delete the key, choose another --prefix, or run with --no-resume`);
  }
  return {
    resume: { id: fields.id ? fields.id : null, sinceMs: num("since_ms"), maxSeenMs: num("max_seen_ms"), recent: recent as string[], recentTimes: recentTimes as number[] },
    finalMs: num("final_ms"),
    originMs: num("origin_ms"),
    windowMs,
    latenessMs,
    readAfter: num("read_after") ?? 0,
  };
}

/** A JSON array field ("" or absent: empty); null when it is not one. */
function parseJsonList(text: string | undefined): unknown[] | null {
  try {
    const value: unknown = JSON.parse(text === undefined || text === "" ? "[]" : text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
