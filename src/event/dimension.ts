/**
 * The field table: every recentchange field a view can count by (`--by LIST`), how its value is
 * read from an event and how it is printed as a member. Adding a field is one row here; a field
 * the scanner does not read yet is first one row in scanner-fields.ts (then `bun run scanner`),
 * whose VIEW_FIELD bit the row here asks for.
 *
 * Every value comes from the WebAssembly scanner's one pass over the event (fields.ts): the other
 * fields than `server_name`, `type` and `bot` only when a view asks for them (`want`), as the
 * real text JSON.parse of the event's UTF-8 would give.
 */
import { VIEW_FIELD, decodeTextField, survivesUtf8, type EventFields, type ViewFieldMask } from "./fields.ts";

/** The member of an event whose field is missing, of another JSON type, or not storable text. */
const NONE_MEMBER = "(none)";
/** Between the values of a composite member (`en.wikipedia.org|Main Page`); no field value holds one (MediaWiki titles, user names and host names cannot). */
const MEMBER_SEPARATOR = "|";

/** One event as the field readers see it: the scanner's pick and the raw text (one object, rewritten for every event). */
export interface EventText {
  /** The scanner's pick (Latin-1 views of the event's UTF-8 bytes; the view fields real text). */
  readonly fields: EventFields;
  /** The event's raw text, one character a byte. */
  data: string;
  /** The server_name the counting policy resolved (valid, real text). */
  serverName: string;
  /** Scratch space for decodeTextField. */
  readonly scratch: EventFields;
}

/** One row of the field table. */
export interface FieldSpec {
  /** What `--by` calls it, and what a column printing it is named. */
  readonly name: string;
  /** The view fields the scanner must read for {@link read} (0: it reads only what it always does). */
  readonly want: ViewFieldMask;
  /** The member text of this field for one event; undefined when missing or unusable ({@link NONE_MEMBER}). */
  read(event: EventText): string | undefined;
}

/** A string value that survives UTF-8 (see survivesUtf8); anything else is unusable. */
function text(value: string | undefined): string | undefined {
  return value !== undefined && survivesUtf8(value) ? value : undefined;
}

/** The field table, in the order --help lists it; `server_name` first, the default view. */
const FIELDS: readonly FieldSpec[] = [
  { name: "server_name", want: 0, read: (event) => event.serverName },
  { name: "wiki", want: VIEW_FIELD.wiki, read: (event) => text(event.fields.wiki) },
  {
    name: "type",
    want: 0,
    read: (event) => {
      const raw = event.fields.type;
      return raw === undefined ? undefined : (decodeTextField("type", raw, event.data, event.scratch) ?? undefined);
    },
  },
  { name: "bot", want: 0, read: (event) => (event.fields.bot === undefined ? undefined : String(event.fields.bot)) },
  {
    name: "namespace",
    want: VIEW_FIELD.namespace,
    read: (event) => {
      const value = event.fields.namespace;
      // Decimal digits, never an exponent (String(1e21) is "1e+21").
      return value !== undefined && Number.isInteger(value) ? BigInt(value).toString() : undefined;
    },
  },
  { name: "title", want: VIEW_FIELD.title, read: (event) => text(event.fields.title) },
  { name: "user", want: VIEW_FIELD.user, read: (event) => text(event.fields.user) },
  { name: "log_type", want: VIEW_FIELD.logType, read: (event) => text(event.fields.logType) },
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
  const fields = view.fields;
  // A loop, not map and join: no array an event (this runs for every view of every event).
  let member = fields[0]?.read(event) ?? NONE_MEMBER;
  for (let f = 1; f < fields.length; f++) member += MEMBER_SEPARATOR + (fields[f]?.read(event) ?? NONE_MEMBER);
  return member;
}

/** The view fields the scanner must read for `views` (see {@link FieldSpec.want}). */
export function resolveViewFields(views: readonly ViewSpec[]): ViewFieldMask {
  let want = 0;
  for (const view of views) for (const field of view.fields) want |= field.want;
  return want;
}
