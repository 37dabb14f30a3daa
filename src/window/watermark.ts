/**
 * The stream's time: how far event time has got, decided by the bulk of recent events so that
 * one mis-dated event cannot move it. It is the RANK-th newest of the last RECENT event times,
 * and never moves back. An event dated far ahead of its neighbours is one of the newest few
 * until RANK - 1 others confirm it; until then it cannot close the windows before it.
 */

/** How many recent event times are kept. */
export const WATERMARK_RECENT = 64;
/** Which of them, counted from the newest, is the stream's time. */
export const WATERMARK_RANK = 8;

/** The stream's time with the recent times it was decided from: what a resume needs to replay it exactly. */
export interface StreamTimeState {
  /** The stream's time (Unix ms); null before WATERMARK_RANK events were seen. */
  timeMs: number | null;
  /** The last event times, oldest first (at most WATERMARK_RECENT). */
  recent: number[];
}

/** The stream's time, advanced by each event time; see the module comment. */
export class StreamClock {
  private readonly ring: number[] = [];
  private head = 0;
  private time: number;
  /**
   * The RANK newest times in the ring, newest first (fewer while it holds fewer): kept as events
   * come, so that each costs a comparison or two; rebuilt only when one of them leaves the ring.
   */
  private top: number[] = [];

  constructor(saved?: StreamTimeState) {
    this.time = saved?.timeMs ?? Number.NEGATIVE_INFINITY;
    for (const t of saved?.recent ?? []) this.push(t);
  }

  /** The stream's time, -Infinity before it is known. */
  get timeMs(): number {
    return this.time;
  }

  /** Notes one event time and returns the stream's time after it. */
  advance(timeMs: number): number {
    this.push(timeMs);
    const rank = this.top.length === WATERMARK_RANK ? (this.top[WATERMARK_RANK - 1] as number) : Number.NEGATIVE_INFINITY;
    if (rank > this.time) this.time = rank;
    return this.time;
  }

  private push(timeMs: number): void {
    const ring = this.ring;
    const top = this.top;
    let evicted = Number.NEGATIVE_INFINITY;
    if (ring.length < WATERMARK_RECENT) ring.push(timeMs);
    else {
      evicted = ring[this.head] as number;
      ring[this.head] = timeMs;
      this.head = (this.head + 1) % WATERMARK_RECENT;
    }
    // The time that left may be one of the newest: find them again (rare: the oldest is seldom among them).
    if (top.length === WATERMARK_RANK && evicted >= (top[WATERMARK_RANK - 1] as number)) {
      this.top = [...ring].sort((a, b) => b - a).slice(0, WATERMARK_RANK);
      return;
    }
    if (top.length === WATERMARK_RANK) {
      if (timeMs <= (top[WATERMARK_RANK - 1] as number)) return;
      top.pop();
    }
    let i = top.length;
    top.push(timeMs);
    for (; i > 0 && (top[i - 1] as number) < timeMs; i--) top[i] = top[i - 1] as number;
    top[i] = timeMs;
  }

  /** The state to save, so that a resume decides every later event as this run would. */
  save(): StreamTimeState {
    const ring = this.ring;
    const recent = ring.length < WATERMARK_RECENT ? ring.slice() : [...ring.slice(this.head), ...ring.slice(0, this.head)];
    return { timeMs: Number.isFinite(this.time) ? this.time : null, recent };
  }
}
