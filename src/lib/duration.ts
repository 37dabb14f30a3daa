const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `30`, `30s`, `2m`, `1.5h`, `500ms` into milliseconds.
 * A bare number means seconds. Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = UNIT_MS[(match[2] ?? "s").toLowerCase()];
  if (unit === undefined || !Number.isFinite(value)) return undefined;
  return Math.round(value * unit);
}

/**
 * Parses a point in time: ISO 8601 (`2026-11-26T10:00:00Z`; without a zone it is UTC),
 * or Unix time as seconds (11 digits or fewer) or milliseconds (more digits).
 * Returns Unix milliseconds, or undefined when the text is not a time.
 */
export function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const value = Number(trimmed);
    const digits = trimmed.split(".")[0]?.length ?? 0;
    return Math.round(digits > 11 ? value : value * 1000);
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(trimmed);
  if (!day) return undefined;
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
  const isDateOnly = /^\d{4}-\d{2}-\d{2}$/.test(trimmed);
  const ms = Date.parse(hasZone || isDateOnly ? trimmed : `${trimmed}Z`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 30 February over into March: a day the month does not have is no time.
  const [, year, month, date] = day.map(Number);
  const check = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, date ?? 1));
  if (check.getUTCMonth() !== (month ?? 1) - 1 || check.getUTCDate() !== date) return undefined;
  return ms;
}

/** Formats milliseconds as the shortest exact duration text (`30s`, `2m`, `1500ms`). */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
