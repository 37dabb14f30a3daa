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
  private readonly top: number[] = [];

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
    // The RANK-th newest can only pass the current time through an event newer than it.
    if (timeMs > this.time) this.recompute();
    return this.time;
  }

  private push(timeMs: number): void {
    if (this.ring.length < WATERMARK_RECENT) this.ring.push(timeMs);
    else {
      this.ring[this.head] = timeMs;
      this.head = (this.head + 1) % WATERMARK_RECENT;
    }
  }

  /** Moves the time to the RANK-th newest of the ring when at least RANK times are newer than it. */
  private recompute(): void {
    const top = this.top;
    top.length = 0;
    const floor = this.time;
    for (const t of this.ring) {
      if (t <= floor) continue;
      if (top.length < WATERMARK_RANK) {
        top.push(t);
        if (top.length === WATERMARK_RANK) top.sort((a, b) => b - a);
      } else if (t > (top[WATERMARK_RANK - 1] as number)) {
        // Keep the RANK newest, newest first: insert in place of the smallest.
        let i = WATERMARK_RANK - 1;
        while (i > 0 && (top[i - 1] as number) < t) {
          top[i] = top[i - 1] as number;
          i--;
        }
        top[i] = t;
      }
    }
    if (top.length === WATERMARK_RANK) this.time = top[WATERMARK_RANK - 1] as number;
  }

  /** The state to save, so that a resume decides every later event as this run would. */
  save(): StreamTimeState {
    const ring = this.ring;
    const recent = ring.length < WATERMARK_RECENT ? ring.slice() : [...ring.slice(this.head), ...ring.slice(0, this.head)];
    return { timeMs: Number.isFinite(this.time) ? this.time : null, recent };
  }
}
