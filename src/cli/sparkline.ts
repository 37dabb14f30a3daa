/** Sparklines: a row of block characters, one per value, for `wikistream top`. */

/** The eight heights, lowest first. */
export const SPARK_LEVELS = "▁▂▃▄▅▆▇█";

/**
 * One character per value, scaled so the largest is █. Zero (and anything not a positive
 * number) is a space: "nothing that window" must not look like "a little". Any positive value
 * is at least ▁, however small beside the largest.
 */
export function sparkline(values: readonly number[]): string {
  const max = values.reduce((m, v) => (v > m ? v : m), 0);
  let out = "";
  for (const value of values) {
    if (!(value > 0) || !(max > 0)) {
      out += " ";
      continue;
    }
    const level = Math.min(SPARK_LEVELS.length, Math.max(1, Math.ceil((value / max) * SPARK_LEVELS.length)));
    out += SPARK_LEVELS[level - 1];
  }
  return out;
}

/** A row as wide as a sparkline of `flags`, with `mark` where a flag is set (the incomplete windows). */
export function markRow(flags: readonly boolean[], mark = "^"): string {
  return flags.map((set) => (set ? mark : " ")).join("");
}
