/**
 * What the page knows: the windows it was sent and the run's status, kept up to date from the
 * messages of GET /events. No DOM here, so it runs (and is tested) anywhere.
 */
import type { LiveMessage, StatusMessage, WindowMessage } from "./messages.ts";

/** One window on the page: final (no later event changes it) or open (still counting). */
export interface PageWindow {
  start: number;
  end: number;
  total: number;
  incomplete: boolean;
  final: boolean;
  counts: Map<string, number>;
  /** With several --by views: each view's counts by its LIST (the main one first). */
  views?: Map<string, Map<string, number>>;
}

/** The span of final windows the chart shows, in seconds. */
export const SHOWN_SPAN_S = 3600;
/**
 * Final windows kept: twice the span the chart shows, so that a page open for long, sent
 * windows while the server's own hour rolled on, still has its hour, and no more.
 */
const KEPT_SPAN_S = 2 * SHOWN_SPAN_S;

function toWindow(message: WindowMessage, final: boolean): PageWindow {
  const w: PageWindow = { start: message.start, end: message.end, total: message.total, incomplete: message.incomplete, final, counts: new Map(Object.entries(message.counts)) };
  if (message.views !== undefined) w.views = readViews(message.views);
  return w;
}

function readViews(views: Record<string, Record<string, number>>): Map<string, Map<string, number>> {
  return new Map(Object.entries(views).map(([name, counts]) => [name, new Map(Object.entries(counts))]));
}

/** A composite member (`en.wikipedia.org|Main Page`) as the page shows it. */
function formatMember(member: string): string {
  return member.split("|").join(" · ");
}

/** `w` as one view shows it: that view's counts (members readable) in place of the main view's; `w` itself without views. */
export function projectView(w: PageWindow, view: string | undefined): PageWindow {
  const counts = view === undefined ? undefined : w.views?.get(view);
  if (counts === undefined) return w;
  return { ...w, counts: new Map([...counts].map(([member, n]) => [formatMember(member), n])) };
}

/** The windows and status the page shows. */
export class Store {
  status: StatusMessage | null = null;
  /** Messages applied so far (for tests and for "did anything arrive"). */
  received = 0;
  private readonly finals = new Map<number, PageWindow>();
  private readonly open = new Map<number, PageWindow>();

  /** Applies one message: a snapshot replaces everything, a delta adds final windows and updates the open ones. */
  apply(message: LiveMessage): void {
    this.received++;
    this.status = message.status;
    if (message.kind === "snapshot") {
      this.finals.clear();
      this.open.clear();
    }
    for (const w of message.windows) {
      this.finals.set(w.start, toWindow(w, true));
      this.open.delete(w.start);
    }
    const stillOpen = new Set<number>();
    for (const w of message.open) {
      stillOpen.add(w.start);
      const known = this.open.get(w.start);
      if (known === undefined || message.kind === "snapshot") {
        this.open.set(w.start, toWindow(w, false));
        continue;
      }
      known.total = w.total;
      known.incomplete = w.incomplete;
      if (w.views !== undefined) known.views = readViews(w.views);
      for (const [name, count] of Object.entries(w.counts)) known.counts.set(name, count);
    }
    for (const start of this.open.keys()) if (!stillOpen.has(start)) this.open.delete(start);
    this.prune();
  }

  /** Every window known, oldest first; an open window that is also final shows as final. */
  windows(): PageWindow[] {
    const all = [...this.finals.values()];
    for (const w of this.open.values()) if (!this.finals.has(w.start)) all.push(w);
    return all.sort((a, b) => a.start - b.start);
  }

  /** The views the windows carry (their --by LISTs, the main one first); empty with one view. */
  views(): string[] {
    for (const w of [...this.windows()].reverse()) if (w.views !== undefined) return [...w.views.keys()];
    return [];
  }

  /** The window that starts at `start`, if known. */
  find(start: number): PageWindow | undefined {
    return this.finals.get(start) ?? this.open.get(start);
  }

  private prune(): void {
    let newest = Number.NEGATIVE_INFINITY;
    for (const w of this.finals.values()) newest = Math.max(newest, w.end);
    for (const start of [...this.finals.keys()]) if (start < newest - KEPT_SPAN_S) this.finals.delete(start);
  }
}
