/** A window's counts in every view: counting one member, and the copy handed to sinks. */
import { detachString } from "./align.ts";
import type { MemberCounts, WindowSnapshot } from "./types.ts";

/** One more event for `member`; a new member is copied apart from the text it was read from. */
export function countMember(counts: MemberCounts | undefined, member: string): void {
  if (counts === undefined) return;
  const held = counts.get(member);
  if (held === undefined) counts.set(detachString(member), 1);
  else counts.set(member, held + 1);
}

/** A copy of a window's counts, every view by its name, in the order of `views` (a quiet window: empty ones). */
export function snapshotWindow(window: { startMs: number; total: number; counts: readonly MemberCounts[] }, windowMs: number, views: readonly string[], final: boolean): WindowSnapshot {
  const byView = new Map<string, MemberCounts>();
  views.forEach((name, v) => byView.set(name, new Map(window.counts[v])));
  const counts = byView.get(views[0] ?? "") ?? new Map<string, number>();
  return { startMs: window.startMs, endMs: window.startMs + windowMs, total: window.total, counts, views: byView, final };
}
