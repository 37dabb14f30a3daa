/** `--by LIST`: the views a run counts, or the one a reader shows, parsed from the field table (event/dimension.ts). */
import { DEFAULT_VIEW, parseView, type ViewSpec } from "../event/dimension.ts";
import { usage } from "./values.ts";

/** One `--by` value as a view; a usage error naming the flag and the fields there are. */
export function parseViewFlag(text: string, label: string): ViewSpec {
  try {
    return parseView(text);
  } catch (error) {
    throw usage(`${label} ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The views of a run: those given (each once), else the default; the first is the main view. */
export function resolveViews(given: readonly ViewSpec[]): ViewSpec[] {
  if (given.length === 0) return [parseView(DEFAULT_VIEW)];
  const seen = new Set<string>();
  for (const view of given) {
    if (seen.has(view.name)) throw usage(`--by ${view.name} is given twice: each view once`);
    seen.add(view.name);
  }
  return [...given];
}
