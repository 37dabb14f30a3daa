import type { EventFields } from "./fields.ts";

/** Why an event was not counted; each is a counter in the run's statistics. */
export type SkipReason =
  | "invalid-json"
  | "not-object"
  | "no-server-name"
  | "bad-server-name"
  | "bad-unicode"
  | "bad-time"
  | "future"
  | "canary"
  | "oversized"
  | "duplicate"
  | "filtered"
  | "expired"
  | "other-event-type";

/** The filters a user can set; an empty filter lets everything through. */
export interface EventFilter {
  types: ReadonlySet<string> | undefined;
  excludeBots: boolean;
  servers: readonly RegExp[];
}

// Control characters and DEL (text that is not Unicode is refused before: survivesUtf8 in fields.ts).
const BAD_SERVER_CHARS = /[\u0000-\u001f\u007f]/;

/** Whether a server_name (real text that survives UTF-8) is fit to be a sorted-set member and a count key. */
export function isValidServerName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !BAD_SERVER_CHARS.test(name);
}

/**
 * Event time in Unix milliseconds: the `timestamp` field (Unix seconds), else `meta.dt`.
 * NaN when neither is usable.
 */
export function resolveEventTime(fields: EventFields): number {
  if (fields.timestamp !== undefined) return fields.timestamp * 1000;
  if (fields.dt !== undefined) return Date.parse(fields.dt);
  return Number.NaN;
}

/** Whether the user's filters let this event be counted. */
export function isAccepted(fields: EventFields, serverName: string, filter: EventFilter): boolean {
  if (filter.types !== undefined && (fields.type === undefined || !filter.types.has(fields.type))) return false;
  if (filter.excludeBots && fields.bot === true) return false;
  if (filter.servers.length > 0 && !filter.servers.some((re) => re.test(serverName))) return false;
  return true;
}
