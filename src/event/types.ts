/** The fields of an event that wikistream reads, as both the scanner and JSON.parse fill them. */

/** Fields of one recentchange event that wikistream uses. */
export interface EventFields {
  /** Top-level `server_name` when it is a JSON string. */
  serverName: string | undefined;
  /** Top-level `timestamp` when it is a finite JSON number. */
  timestamp: number | undefined;
  /** Top-level `type` when it is a JSON string. */
  type: string | undefined;
  /** Top-level `bot` when it is a JSON boolean. */
  bot: boolean | undefined;
  /** `meta.dt` when `meta` is an object and `dt` a string. */
  dt: string | undefined;
  /** `meta.domain` when `meta` is an object and `domain` a string. */
  domain: string | undefined;
  /** `meta.id` when `meta` is an object and `id` a string. */
  metaId: string | undefined;
  // The view fields: read only when asked for (ViewFieldMask), and unlike the fields above, real
  // text: what JSON.parse of the event's UTF-8 text and a pick give.
  /** Top-level `wiki` when it is a JSON string (when asked for). */
  wiki: string | undefined;
  /** Top-level `title` when it is a JSON string (when asked for). */
  title: string | undefined;
  /** Top-level `user` when it is a JSON string (when asked for). */
  user: string | undefined;
  /** Top-level `log_type` when it is a JSON string (when asked for). */
  logType: string | undefined;
  /** Top-level `namespace` when it is a JSON number (when asked for). */
  namespace: number | undefined;
}

/**
 * Which view fields of {@link EventFields} to read, a bit each (any others stay undefined):
 * their values cost work to decode, which a run that counts by none of them does not pay.
 */
export const VIEW_FIELD = { wiki: 1, title: 2, user: 4, logType: 8, namespace: 16 } as const;

/** A set of {@link VIEW_FIELD} bits (0: none). */
export type ViewFieldMask = number;

/** Outcome of an extraction: what `JSON.parse` would have made of the text. */
export type ExtractStatus = "ok" | "invalid-json" | "not-object";
