/** Clock-aligned window arithmetic, and keeping kept strings small. */

/**
 * A copy of `text` that does not keep alive the (much larger) network chunk it was sliced
 * from: anything the windower keeps beyond the current event goes through here.
 */
export function detachString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** Start of the window that holds `timeMs`. */
export function resolveWindowStart(timeMs: number, windowMs: number): number {
  return Math.floor(timeMs / windowMs) * windowMs;
}

/** The first window boundary at or after `timeMs`. */
export function resolveWindowCeil(timeMs: number, windowMs: number): number {
  return Math.ceil(timeMs / windowMs) * windowMs;
}
