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
}

/** Outcome of an extraction: what `JSON.parse` would have made of the text. */
export type ExtractStatus = "ok" | "invalid-json" | "not-object";
