/**
 * The per-event counting policy: one event's text in, one verdict out (counted with its member in
 * every view, filtered, or skipped and why). run/events.ts calls it once per event and keeps what
 * needs the run's state (repeats after a reconnect, the windows).
 */
import { isAccepted, isValidServerName, resolveEventTime, type EventFilter, type SkipReason } from "./classify.ts";
import { DEFAULT_VIEW, readMember, resolveViewFields, type EventText, type ViewSpec } from "./dimension.ts";
import { createEventFields, decodeTextField, extractFieldsLatin1, type ViewFieldMask } from "./fields.ts";

/** Printable ASCII: a server_name read as Latin-1 that matches is exactly its UTF-8 text. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Distinct server_names remembered (there are about a thousand wikis): a bound against junk names. */
const MAX_NAMES = 100_000;

/** What the policy needs: the views, the filters, and the run's time bounds. */
export interface PolicyOptions {
  views: readonly ViewSpec[];
  filter: EventFilter;
  /** Events dated after this (Unix ms) are `future`. */
  horizonMs(): number;
  /** Events dated before this (Unix ms) are `expired`. */
  expiredBeforeMs(): number;
}

/** The verdict on one event; one object, rewritten for every event. */
export interface Verdict {
  /** Why it is not counted; null when it is counted (or only filtered out: see `filtered`). */
  skip: SkipReason | null;
  /** The filters left it out: its time still moves the windows on. */
  filtered: boolean;
  /** The text was one JSON object (a repeat can be recognised by `metaId`). */
  parsed: boolean;
  /** Its time (Unix ms) when known. */
  timeMs: number;
  metaId: string | undefined;
  /** Its member in each view, in the order of the views (only when counted). */
  members: string[];
}

/** Judges events; see the module comment. */
export class CountingPolicy {
  private readonly fields = createEventFields();
  private readonly scratch = createEventFields();
  /** The event the field readers see, rewritten for every event. */
  private readonly event: EventText = { fields: this.fields, data: "", serverName: "", scratch: this.scratch };
  /** server_name as read (Latin-1 view of its bytes) → the name to count, or null when invalid. */
  private readonly names = new Map<string, string | null>();
  private readonly filtering: boolean;
  /** The view fields the views count by, read in the scanner's pass. */
  private readonly want: ViewFieldMask;
  private refusal: SkipReason = "bad-server-name";
  private readonly verdict: Verdict = { skip: null, filtered: false, parsed: false, timeMs: Number.NaN, metaId: undefined, members: [] };

  /** Only the default view (the usual run): a counted event's one member is its server_name. */
  private readonly serverNameOnly: boolean;

  constructor(private readonly options: PolicyOptions) {
    const filter = options.filter;
    this.filtering = filter.types !== undefined || filter.excludeBots || filter.servers.length > 0;
    const views = options.views;
    this.serverNameOnly = views.length === 1 && views[0]?.name === DEFAULT_VIEW;
    this.verdict.members.length = views.length;
    this.want = resolveViewFields(views);
  }

  /** The verdict on one event's raw text (one character a byte). */
  judge(data: string): Verdict {
    const verdict = this.verdict;
    verdict.skip = null;
    verdict.filtered = false;
    verdict.metaId = undefined;
    verdict.timeMs = Number.NaN;
    const fields = this.fields;
    const status = extractFieldsLatin1(data, fields, this.want);
    verdict.parsed = status === "ok";
    if (status !== "ok") return this.refuse(status);
    verdict.metaId = fields.metaId;
    const timeMs = resolveEventTime(fields);
    verdict.timeMs = timeMs;
    if (!(timeMs > 0)) return this.refuse("bad-time");
    if (timeMs > this.options.horizonMs()) return this.refuse("future");
    if (timeMs < this.options.expiredBeforeMs()) return this.refuse("expired");
    if (fields.domain === "canary") return this.refuse("canary");
    const rawName = fields.serverName;
    if (rawName === undefined) return this.refuse("no-server-name");
    const serverName = this.resolveServerName(rawName, data);
    if (serverName === null) return this.refuse(this.refusal);
    if (this.filtering && !isAccepted(fields, serverName, this.options.filter)) {
      verdict.filtered = true;
      return verdict;
    }
    // The usual run reads nothing more than the scanner did, and allocates nothing per event.
    if (this.serverNameOnly) verdict.members[0] = serverName;
    else this.readMembers(data, serverName);
    return verdict;
  }

  private refuse(why: SkipReason): Verdict {
    this.verdict.skip = why;
    return this.verdict;
  }

  /** Each view's member of a counted event. */
  private readMembers(data: string, serverName: string): void {
    const event = this.event;
    event.data = data;
    event.serverName = serverName;
    const members = this.verdict.members;
    const views = this.options.views;
    for (let v = 0; v < views.length; v++) {
      const view = views[v];
      members[v] = view === undefined ? "" : readMember(view, event);
    }
  }

  /**
   * The name to count for a raw server_name, or null when it is not fit to be one (why in
   * `refusal`). One detached copy per name, so count maps never pin network chunks in memory.
   */
  private resolveServerName(raw: string, data: string): string | null {
    const known = this.names.get(raw);
    if (known !== undefined) return known;
    this.refusal = "bad-server-name";
    if (!PRINTABLE_ASCII.test(raw)) {
      // Non-ASCII (or escaped) names need the event decoded as UTF-8 to be exact; never cached.
      const text = decodeTextField("serverName", raw, data, this.scratch);
      if (text === null) this.refusal = "bad-unicode";
      return text !== null && isValidServerName(text) ? text : null;
    }
    const name = isValidServerName(raw) ? detach(raw) : null;
    if (this.names.size < MAX_NAMES) this.names.set(name ?? detach(raw), name);
    return name;
  }
}

/** A copy of `text` that shares no memory with the chunk it was sliced from. */
function detach(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
