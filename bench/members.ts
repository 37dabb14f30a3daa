/**
 * The data's own count of every view a run is given (`--by LIST`): window → member → count, made
 * from the templates with JSON.parse and the README's rules for a member, never with wikistream's
 * code; and the check that Redis holds exactly that, member by member, in every view.
 */
import type { BenchRedis } from "./redis.ts";

/** One view's counts: window start (ms) → member → count. */
export type ViewCounts = Map<number, Map<string, number>>;

/** The member of an event whose field is missing or unusable (README, `--by`). */
const NONE = "(none)";

/**
 * A field of a parsed event as member text, the README's way: a string as it is unless it is not
 * storable Unicode (a lone surrogate, or U+FFFD from bytes that were not UTF-8), `bot` as
 * true/false, `namespace` in decimal; anything else (missing, another JSON type) `(none)`.
 */
function readFieldText(event: Record<string, unknown>, field: string): string {
  const value = event[field];
  if (field === "bot") return typeof value === "boolean" ? String(value) : NONE;
  if (field === "namespace") return typeof value === "number" && Number.isInteger(value) ? BigInt(value).toString() : NONE;
  return typeof value === "string" && value.isWellFormed() && !value.includes("\ufffd") ? value : NONE;
}

/**
 * Each event's member in each view (`lists`, e.g. `server_name,title`), from JSON.parse of its
 * text; null for an event no consumer may count (null text).
 */
export function listMembers(texts: readonly (string | null)[], lists: readonly string[]): (string[] | null)[] {
  const fields = lists.map((list) => list.split(","));
  return texts.map((text) => {
    if (text === null) return null;
    const event = JSON.parse(text) as Record<string, unknown>;
    return fields.map((names) => names.map((name) => readFieldText(event, name)).join("|"));
  });
}

/** Adds one event's members (one per view, in the order of `counts`) to window `start`. */
export function addMembers(counts: readonly ViewCounts[], members: readonly string[], start: number): void {
  counts.forEach((view, v) => {
    const member = members[v] ?? "";
    let window = view.get(start);
    if (window === undefined) view.set(start, (window = new Map()));
    window.set(member, (window.get(member) ?? 0) + 1);
  });
}

/** Where a view's windows live: the main view (the first --by) at the prefix, each further one at `{prefix}by:{LIST}:`. */
export function resolveViewPrefix(prefix: string, lists: readonly string[], list: string): string {
  return list === lists[0] ? prefix : `${prefix}by:${list}:`;
}

/** The differences between what Redis holds and the data's count, one line each. */
function compareView(list: string, expected: ViewCounts, actual: ViewCounts): string[] {
  const wrong: string[] = [];
  for (const start of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(start) ?? new Map<string, number>();
    const found = actual.get(start) ?? new Map<string, number>();
    for (const member of new Set([...want.keys(), ...found.keys()])) {
      if (want.get(member) !== found.get(member)) {
        wrong.push(`--by ${list}, window ${new Date(start).toISOString()}, ${JSON.stringify(member)}: the data says ${want.get(member) ?? "nothing"}, Redis holds ${found.get(member) ?? "nothing"}`);
      }
    }
  }
  return wrong;
}

/**
 * Throws unless every view in `lists` (the first the main view, at `prefix`) holds in Redis
 * exactly the data's count `expected` of that view: every window, every member, every count, and
 * no window key the data does not have. Returns how many window members it compared.
 */
export async function checkViews(what: string, redis: BenchRedis, prefix: string, lists: readonly string[], expected: ReadonlyMap<string, ViewCounts>): Promise<number> {
  const wrong: string[] = [];
  let members = 0;
  for (const list of lists) {
    const want = expected.get(list);
    if (want === undefined) throw new Error(`${what}: no count of the data for --by ${list}`);
    const found = await redis.readView(prefix, resolveViewPrefix(prefix, lists, list));
    wrong.push(...compareView(list, want, found));
    for (const window of want.values()) members += window.size;
  }
  if (wrong.length > 0) {
    throw new Error(`${what}: ${wrong.length} members of ${lists.length} views differ from the data:\n${wrong.slice(0, 10).join("\n")}${wrong.length > 10 ? "\n…" : ""}`);
  }
  return members;
}
