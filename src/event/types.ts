/** The fields of an event that wikistream reads, as both the scanner and JSON.parse fill them. */
import { SCANNER_VIEW_FIELDS, type ViewFieldKey, type ViewFieldValues } from "./scanner-fields.ts";

/**
 * Fields of one recentchange event that wikistream uses. The view fields (scanner-fields.ts) are
 * read only when asked for ({@link ViewFieldMask}), and unlike the fields here, are real text:
 * what JSON.parse of the event's UTF-8 text and a pick give.
 */
export interface EventFields extends ViewFieldValues {
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

/**
 * Which view fields of {@link EventFields} to read, a bit each (any others stay undefined):
 * their values cost work to decode, which a run that counts by none of them does not pay. A
 * field's bit is 1 << its index in SCANNER_VIEW_FIELDS, as scanner.wat's `$want` tests it.
 */
export const VIEW_FIELD = Object.fromEntries(SCANNER_VIEW_FIELDS.map((field, index) => [field.key, 1 << index])) as {
  readonly [Key in ViewFieldKey]: number;
};

/** A set of {@link VIEW_FIELD} bits (0: none). */
export type ViewFieldMask = number;

/** Outcome of an extraction: what `JSON.parse` would have made of the text. */
export type ExtractStatus = "ok" | "invalid-json" | "not-object";
