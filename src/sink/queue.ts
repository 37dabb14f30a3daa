/**
 * Windows waiting to be written. A later snapshot of a window replaces an earlier one whole,
 * so batches merge while the store is away and are written in one go, in order, when it is back.
 */
import type { Checkpoint, WindowBatch, WindowSnapshot } from "../window/types.ts";

/** What one write carries: the windows whole, oldest first, the starts of windows known to miss events, and the checkpoint. */
export interface WriteUnit {
  windows: WindowSnapshot[];
  incomplete: number[];
  checkpoint: Checkpoint | null;
}

/** The merge queue; see the module comment. */
export class WriteQueue {
  private readonly windows = new Map<number, WindowSnapshot>();
  private readonly incomplete = new Set<number>();
  private checkpoint: Checkpoint | null = null;

  /** Windows waiting. */
  get size(): number {
    return this.windows.size;
  }

  /** Whether a window of this start waits. */
  has(startMs: number): boolean {
    return this.windows.has(startMs);
  }

  /** True when there is nothing to write, not even a checkpoint. */
  isEmpty(): boolean {
    return this.windows.size === 0 && this.checkpoint === null;
  }

  /** Takes a batch in: its windows replace waiting ones of the same start. */
  add(batch: WindowBatch): void {
    for (const window of batch.windows) this.windows.set(window.startMs, window);
    for (const start of batch.incomplete) this.incomplete.add(start);
    this.checkpoint = batch.checkpoint;
  }

  /** Everything waiting, oldest window first, leaving the queue empty. */
  take(): WriteUnit {
    const unit: WriteUnit = {
      windows: [...this.windows.values()].sort((a, b) => a.startMs - b.startMs),
      incomplete: [...this.incomplete],
      checkpoint: this.checkpoint,
    };
    this.windows.clear();
    this.incomplete.clear();
    this.checkpoint = null;
    return unit;
  }

  /** Puts a unit that failed back under anything newer that arrived meanwhile. */
  putBack(unit: WriteUnit): void {
    for (const window of unit.windows) if (!this.windows.has(window.startMs)) this.windows.set(window.startMs, window);
    for (const start of unit.incomplete) this.incomplete.add(start);
    if (this.checkpoint === null) this.checkpoint = unit.checkpoint;
  }
}
