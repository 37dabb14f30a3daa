/**
 * The window model's dimension: a window holds one count map per view (the run declares the
 * views; members are opaque texts the event room made). Counting one event into every view,
 * and the copy handed to sinks, keyed by view name.
 */
import { detachString } from "./align.ts";
import type { MemberCounts, WindowSnapshot } from "./types.ts";

/** The view counted when none is declared. */
const DEFAULT_VIEWS: readonly string[] = ["server_name"];

/** A window's counts as ViewCounts reads them: one map per view, in the views' order. */
export interface CountedWindow {
  startMs: number;
  total: number;
  counts: MemberCounts[];
}

/** Counts into, and copies out of, the per-view maps of windows of one length. */
export class ViewCounts {
  private readonly views: readonly string[];

  constructor(
    private readonly windowMs: number,
    views: readonly string[] | undefined,
  ) {
    this.views = views ?? DEFAULT_VIEWS;
  }

  /** Empty maps, one per view. */
  create(): MemberCounts[] {
    return this.views.map(() => new Map<string, number>());
  }

  /** One event: its member in each view, in the views' order (a lone string: the one view). */
  add(counts: MemberCounts[], members: string | readonly string[]): void {
    if (typeof members === "string") countMember(counts[0], members);
    else for (let v = 0; v < counts.length; v++) countMember(counts[v], members[v] ?? "");
  }

  /** A copy of a window's counts, every view by its name (a quiet window: empty ones). */
  snapshot(window: CountedWindow, final: boolean): WindowSnapshot {
    const byView = new Map<string, MemberCounts>();
    this.views.forEach((name, v) => byView.set(name, new Map(window.counts[v])));
    const counts = byView.get(this.views[0] ?? "") ?? new Map<string, number>();
    return { startMs: window.startMs, endMs: window.startMs + this.windowMs, total: window.total, counts, views: byView, final };
  }
}

/** One more event for `member`; a new member is copied apart from the text it was read from. */
function countMember(counts: MemberCounts | undefined, member: string): void {
  if (counts === undefined) return;
  const held = counts.get(member);
  if (held === undefined) counts.set(detachString(member), 1);
  else counts.set(member, held + 1);
}
