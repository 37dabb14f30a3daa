/**
 * Cuts network text into whole lines for the SSE parser. eventsource-parser keeps a partial
 * last line and joins it with the whole next chunk it is fed (a copy of every chunk); fed whole
 * lines it never has to. A line longer than the limit is cut (its head is kept, the rest
 * dropped up to the next line end) so that one huge event cannot take all memory.
 */
export interface LineFramerOptions {
  /** Longest line passed on whole, in characters. */
  limitChars: number;
  /** Receives text that ends with a line end (CR or LF), or the kept head of a cut line. */
  emit(text: string): void;
  /** Called when a line was cut: the event it belongs to is oversized. */
  onCut(): void;
}

/** Splits chunks into complete lines; see the module comment. */
export class LineFramer {
  private carry = "";
  private skipping = false;

  constructor(private readonly options: LineFramerOptions) {}

  /** Takes the next chunk of text. */
  push(text: string): void {
    const limit = this.options.limitChars;
    let chunk = text;
    if (this.skipping) {
      const end = findLineEnd(chunk, 0);
      if (end === -1) return;
      this.skipping = false;
      chunk = chunk.slice(end);
    }
    const lastEnd = findLastLineEnd(chunk);
    if (lastEnd === -1) {
      this.carry += chunk;
      if (this.carry.length > limit) this.cut(this.carry);
      return;
    }
    let from = 0;
    if (this.carry !== "") from = this.finishCarry(chunk);
    if (lastEnd >= from) this.options.emit(from === 0 && lastEnd === chunk.length - 1 ? chunk : chunk.slice(from, lastEnd + 1));
    const tail = chunk.slice(lastEnd + 1);
    if (tail.length > limit) this.cut(tail);
    else this.carry = tail;
  }

  /** Ends the carried partial line with the head of `chunk`; returns where the rest of `chunk` starts. */
  private finishCarry(chunk: string): number {
    const limit = this.options.limitChars;
    const firstEnd = findLineEnd(chunk, 0);
    const carry = this.carry;
    this.carry = "";
    if (carry.length + firstEnd > limit) {
      // The terminator goes with the rest of the chunk, ending the cut line.
      this.cut(carry + chunk.slice(0, Math.max(0, limit - carry.length)));
      this.skipping = false;
      return firstEnd;
    }
    // With its terminator, so the parser holds nothing back to join with what follows.
    this.options.emit(carry + chunk.slice(0, firstEnd + 1));
    return firstEnd + 1;
  }

  private cut(line: string): void {
    this.options.emit(line.slice(0, this.options.limitChars));
    this.options.onCut();
    this.skipping = true;
    this.carry = "";
  }
}

/** Index of the last CR or LF, or -1; looks for CR only after the last LF (CR-only streams are rare). */
function findLastLineEnd(text: string): number {
  const lf = text.lastIndexOf("\n");
  const cr = text.indexOf("\r", lf + 1);
  return cr === -1 ? lf : text.lastIndexOf("\r");
}

/** Index of the first CR or LF at or after `from`, or -1. */
function findLineEnd(text: string, from: number): number {
  const lf = text.indexOf("\n", from);
  const cr = text.indexOf("\r", from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}
