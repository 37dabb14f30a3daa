/**
 * Which events offered again are replays, read before a restart or a refused position, rather
 * than new ones: a replay for a final window is counted as replayed, not late, and marks nothing.
 */
export class ReplayLedger {
  /** Events read so far (every `advance`), for the count saved with a resume point. */
  read = 0;
  private left: number;
  private untilStreamMs = Number.NEGATIVE_INFINITY;

  /** @param readAfterResume events the saved checkpoint's writer had read after its resume point */
  constructor(readAfterResume: number) {
    this.left = readAfterResume;
  }

  /** One more event read. */
  onRead(): void {
    this.read++;
    if (this.left > 0) this.left--;
  }

  /** The server refused our position when the stream's time was this: what follows up to there was read before. */
  onRefused(streamMs: number): void {
    this.untilStreamMs = streamMs;
  }

  /**
   * The events read after the point where `mark` events had been read: by this run, and by the
   * run before the restart where that one read further (replays still to come). A checkpoint
   * saved before the replays are over must still call them replays.
   */
  readAfter(mark: number): number {
    return this.read + this.left - mark;
  }

  /** Whether the event being offered (not yet read) was read before. */
  isReplay(streamMs: number): boolean {
    return this.left > 0 || streamMs <= this.untilStreamMs;
  }
}
