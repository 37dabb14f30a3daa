/**
 * The last few `meta.id`s seen, oldest first, in a fixed-size ring: saved with the checkpoint
 * so that events the server sends again after a resume are recognised and not counted twice.
 */
export class RecentIds {
  private readonly ring: string[] = [];
  private head = 0;

  constructor(
    private readonly size: number,
    initial: readonly string[] = [],
  ) {
    for (const id of initial) this.push(id);
  }

  /** Remembers one id, forgetting the oldest when full. */
  push(id: string): void {
    if (this.ring.length < this.size) this.ring.push(id);
    else {
      this.ring[this.head] = id;
      this.head = (this.head + 1) % this.size;
    }
  }

  /** The ids remembered, oldest first. */
  list(): string[] {
    const ring = this.ring;
    return ring.length < this.size ? ring.slice() : [...ring.slice(this.head), ...ring.slice(0, this.head)];
  }
}
