/** --help, made from the flag table, wrapped to fit 80 columns. */
import type { FlagSpec } from "./flags.ts";

/** The width --help fits in: the classic terminal. */
export const HELP_COLUMNS = 80;
/** Where the help text starts, after "  --max-event-bytes SIZE  ". */
const TEXT_COLUMN = 26;

/** What a command's help shows above its flags. */
export interface HelpHeader {
  usage: string[];
  description: string;
}

/** Wraps words to lines of at most `width` characters (a longer word stands alone). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

function describeFlag(name: string, spec: FlagSpec<unknown>): string[] {
  const head = `  ${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.hint ? ` ${spec.hint}` : ""}`;
  const facts: string[] = [];
  if (spec.env) facts.push(spec.kind === "boolean" ? `env ${spec.env}=1` : `env ${spec.env}${spec.kind === "list" ? (spec.envSeparator === undefined ? " (comma-separated)" : ` (lists separated by '${spec.envSeparator}')`) : ""}`);
  const shown = spec.defaultHelp ?? spec.default;
  if (shown !== undefined) facts.push(`default: ${shown}`);
  const text = [...wrapWords(spec.help, HELP_COLUMNS - TEXT_COLUMN), ...(facts.length > 0 ? wrapWords(facts.join("; "), HELP_COLUMNS - TEXT_COLUMN) : [])];
  const pad = " ".repeat(TEXT_COLUMN);
  const first = head.length + 2 <= TEXT_COLUMN ? head.padEnd(TEXT_COLUMN) + (text[0] ?? "") : head;
  const rest = head.length + 2 <= TEXT_COLUMN ? text.slice(1) : text;
  return [first.trimEnd(), ...rest.map((line) => pad + line)];
}

/** The whole --help text for one command. */
export function formatHelp(header: HelpHeader, table: Record<string, FlagSpec<unknown>>): string {
  const lines = [...wrapWords(header.description, HELP_COLUMNS), "", ...header.usage.map((u, i) => `${i === 0 ? "Usage: " : "       "}${u}`), ""];
  lines.push("Flags (a flag beats its environment variable, which beats the default):");
  for (const [name, spec] of Object.entries(table)) lines.push(...describeFlag(name, spec));
  return `${lines.join("\n")}\n`;
}
