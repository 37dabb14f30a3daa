/**
 * What the page knows: the windows it was sent and the run's status, kept up to date from the
 * messages of GET /events. No DOM here, so it runs (and is tested) anywhere.
 */
import type { WindowWire } from "../../window/wire.ts";
import type { LiveMessage, StatusMessage } from "./messages.ts";

/** The span of final windows the chart shows, in seconds. */
export const SHOWN_SPAN_S = 3600;
/**
 * Final windows kept: twice the span the chart shows, so that a page open for long, sent
 * windows while the server's own hour rolled on, still has its hour, and no more.
 */
const KEPT_SPAN_S = 2 * SHOWN_SPAN_S;

/**
 * An open window known to the page, brought up to date by a delta's window (only the members
 * that changed, in `counts` and in each view). Spreads copy every key as its own, `__proto__` too.
 */
function mergeDelta(known: WindowWire, delta: WindowWire): WindowWire {
  const merged: WindowWire = { ...delta, final: false, counts: { ...known.counts, ...delta.counts } };
  if (delta.views !== undefined) merged.views = Object.fromEntries(Object.entries(delta.views).map(([name, counts]) => [name, { ...known.views?.[name], ...counts }]));
  return merged;
}

/** A composite member (`en.wikipedia.org|Main Page`) as the page shows it. */
function formatMember(member: string): string {
  return member.split("|").join(" · ");
}

/** `w` as one view shows it: that view's counts (members readable) in place of the main view's; `w` itself without views. */
export function projectView(w: WindowWire, view: string | undefined): WindowWire {
  const counts = view === undefined ? undefined : w.views?.[view];
  if (counts === undefined) return w;
  return { ...w, counts: Object.fromEntries(Object.entries(counts).map(([member, n]) => [formatMember(member), n])) };
}

/**
 * The windows and status the page shows, each in its wire form (window/wire.ts) as the messages
 * bring it, `final` set by where it came: a closed window shows as final, an open one as open.
 */
export class Store {
  status: StatusMessage | null = null;
  /** Messages applied so far (for tests and for "did anything arrive"). */
  received = 0;
  private readonly finals = new Map<number, WindowWire>();
  private readonly open = new Map<number, WindowWire>();

  /** Applies one message: a snapshot replaces everything, a delta adds final windows and updates the open ones. */
  apply(message: LiveMessage): void {
    this.received++;
    this.status = message.status;
    if (message.kind === "snapshot") {
      this.finals.clear();
      this.open.clear();
    }
    for (const w of message.windows) {
      this.finals.set(w.start, { ...w, final: true });
      this.open.delete(w.start);
    }
    const stillOpen = new Set<number>();
    for (const w of message.open) {
      stillOpen.add(w.start);
      const known = message.kind === "delta" ? this.open.get(w.start) : undefined;
      this.open.set(w.start, known === undefined ? { ...w, final: false } : mergeDelta(known, w));
    }
    for (const start of this.open.keys()) if (!stillOpen.has(start)) this.open.delete(start);
    this.prune();
  }

  /** Every window known, oldest first; an open window that is also final shows as final. */
  windows(): WindowWire[] {
    const all = [...this.finals.values()];
    for (const w of this.open.values()) if (!this.finals.has(w.start)) all.push(w);
    return all.sort((a, b) => a.start - b.start);
  }

  /** The views the windows carry (their --by LISTs, the main one first); empty with one view. */
  views(): string[] {
    for (const w of [...this.windows()].reverse()) if (w.views !== undefined) return Object.keys(w.views);
    return [];
  }

  /** The window that starts at `start`, if known. */
  find(start: number): WindowWire | undefined {
    return this.finals.get(start) ?? this.open.get(start);
  }

  private prune(): void {
    let newest = Number.NEGATIVE_INFINITY;
    for (const w of this.finals.values()) newest = Math.max(newest, w.end);
    for (const start of [...this.finals.keys()]) if (start < newest - KEPT_SPAN_S) this.finals.delete(start);
  }
}
