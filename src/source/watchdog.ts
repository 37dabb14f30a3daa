/**
 * Aborts a connection that stays silent for too long. EventStreams sends no heartbeat, so a
 * stalled socket would otherwise wait forever. Bun's fetch `timeout` fires in 4 s steps and
 * only before the headers, so the watchdog keeps its own clock, reset on every chunk.
 */
export class IdleWatchdog {
  private last = performance.now();
  private held = false;
  private timer: ReturnType<typeof setInterval>;
  /** True once the watchdog aborted the connection. */
  fired = false;

  constructor(
    private readonly idleMs: number,
    private readonly controller: AbortController,
  ) {
    // Checks a few times per idle period, at most once a second and at least every 25 ms.
    const everyMs = Math.max(25, Math.min(1000, idleMs / 4));
    this.timer = setInterval(() => this.check(), everyMs);
  }

  /** Something arrived: the connection is alive. */
  touch(): void {
    this.last = performance.now();
  }

  /**
   * While we hold reading ourselves (backpressure, batching a trickle) the silence is ours, not
   * the server's: `hold(true)` pauses the watchdog, `hold(false)` restarts its clock.
   */
  hold(held: boolean): void {
    this.held = held;
    if (!held) this.touch();
  }

  /** When the last chunk arrived (performance.now() time). */
  lastActivity(): number {
    return this.last;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (!this.held && performance.now() - this.last >= this.idleMs) {
      this.fired = true;
      this.controller.abort();
    }
  }
}
