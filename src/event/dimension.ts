/**
 * The field table: every recentchange field a view can count by (`--by LIST`), how its value is
 * read from an event and how it is printed as a member. Adding a field is one row here.
 *
 * `server_name`, `type` and `bot` come from the WebAssembly scanner's pick (fields.ts). The other
 * fields are read, when a view needs them, from `JSON.parse` of the event's UTF-8 text: exact by
 * construction (the reference itself), slower; the scanner learns them in a later issue.
 */
import { decodeTextField, survivesUtf8, type EventFields } from "./fields.ts";

/** The member of an event whose field is missing, of another JSON type, or not storable text. */
const NONE_MEMBER = "(none)";
/** Between the values of a composite member (`en.wikipedia.org|Main Page`); no field value holds one (MediaWiki titles, user names and host names cannot). */
const MEMBER_SEPARATOR = "|";

/** One event as the field readers see it: the scanner's pick, the raw text, and its parse on demand. */
export interface EventText {
  /** The scanner's pick (Latin-1 views of the event's UTF-8 bytes). */
  readonly fields: EventFields;
  /** The event's raw text, one character a byte. */
  readonly data: string;
  /** The server_name the counting policy resolved (valid, real text). */
  readonly serverName: string;
  /** The event's UTF-8 text parsed (once per event); null when it is no JSON object. */
  object(): Record<string, unknown> | null;
  /** Scratch space for decodeTextField. */
  readonly scratch: EventFields;
}

/** One row of the field table. */
export interface FieldSpec {
  /** What `--by` calls it, and what a column printing it is named. */
  readonly name: string;
  /** The member text of this field for one event; undefined when missing or unusable ({@link NONE_MEMBER}). */
  read(event: EventText): string | undefined;
}

/** A string value that survives UTF-8 (see survivesUtf8); anything else is unusable. */
function text(value: unknown): string | undefined {
  return typeof value === "string" && survivesUtf8(value) ? value : undefined;
}

/** A top-level string field read from the parsed event. */
function parsedString(name: string): FieldSpec["read"] {
  return (event) => text(event.object()?.[name]);
}

/** The field table, in the order --help lists it; `server_name` first, the default view. */
const FIELDS: readonly FieldSpec[] = [
  { name: "server_name", read: (event) => event.serverName },
  { name: "wiki", read: parsedString("wiki") },
  {
    name: "type",
    read: (event) => {
      const raw = event.fields.type;
      return raw === undefined ? undefined : (decodeTextField("type", raw, event.data, event.scratch) ?? undefined);
    },
  },
  { name: "bot", read: (event) => (event.fields.bot === undefined ? undefined : String(event.fields.bot)) },
  {
    name: "namespace",
    read: (event) => {
      const value = event.object()?.["namespace"];
      // Decimal digits, never an exponent (String(1e21) is "1e+21").
      return typeof value === "number" && Number.isInteger(value) ? BigInt(value).toString() : undefined;
    },
  },
  { name: "title", read: parsedString("title") },
  { name: "user", read: parsedString("user") },
  { name: "log_type", read: parsedString("log_type") },
];

/** The names of every field, for messages and completion. */
export const FIELD_NAMES: readonly string[] = FIELDS.map((field) => field.name);

/** The default view: edits per server_name. */
export const DEFAULT_VIEW = "server_name";

/** A view: the fields it counts by, and its name (the LIST as given: `server_name,bot`). */
export interface ViewSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

/**
 * Parses one `--by` LIST. Throws a plain Error saying what is wrong (the CLI words it as a usage
 * error): an unknown field lists the fields there are.
 */
export function parseView(list: string): ViewSpec {
  const names = list.split(",").map((name) => name.trim());
  const fields = names.map((name) => {
    const field = FIELDS.find((f) => f.name === name);
    if (field === undefined) throw new Error(`'${name}' is not a field to count by: use ${FIELD_NAMES.join(", ")} (several joined by commas)`);
    return field;
  });
  if (new Set(names).size !== names.length) throw new Error(`'${list}' names a field twice`);
  return { name: names.join(","), fields };
}

/** The member of one event in one view: the fields' texts joined by `|`, `(none)` for each one missing. */
export function readMember(view: ViewSpec, event: EventText): string {
  const first = view.fields[0];
  if (view.fields.length === 1 && first !== undefined) return first.read(event) ?? NONE_MEMBER;
  return view.fields.map((field) => field.read(event) ?? NONE_MEMBER).join(MEMBER_SEPARATOR);
}

/** Parses the event's UTF-8 text as the reference does: the object, or null. */
export function parseEventObject(data: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(data, "latin1").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
