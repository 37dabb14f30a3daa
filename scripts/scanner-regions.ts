/**
 * The generated regions of the scanner's sources: the code that follows from the view field
 * table (src/event/scanner-fields.ts). Each region lies between two comment lines,
 *
 *   ;; <generated: NAME>          (// in TypeScript)
 *   ;; </generated>
 *
 * and {@link regenerate} rewrites what lies between from the table; the rest is written by hand.
 * In scanner.wat (scanner-wat.ts) that is the key matches, resets and slot stores; in the
 * TypeScript, the hot paths that touch every view field one by one (written out, not looped over:
 * a store to a named member is what JSC makes fastest).
 */
import { FIRST_VIEW_SLOT, SCANNER_VIEW_FIELDS, type ScannerViewField } from "../src/event/scanner-fields.ts";
import { watRegions } from "./scanner-wat.ts";

/** A source file with generated regions: its comment token and its regions for a table. */
interface GeneratedFile {
  readonly url: URL;
  readonly comment: ";;" | "//";
  readonly regions: (fields: readonly ScannerViewField[]) => Map<string, string[]>;
}

/** The regions of fields.ts: a fresh EventFields' view members, and their reset. */
function fieldsRegions(fields: readonly ScannerViewField[]): Map<string, string[]> {
  return new Map([
    ["view-create", fields.map((field) => `${field.key}: undefined,`)],
    ["view-reset", fields.map((field) => `out.${field.key} = undefined;`)],
  ]);
}

/** The region of scanner.ts: the view fields read back from their slots. */
function scannerRegions(fields: readonly ScannerViewField[]): Map<string, string[]> {
  const read = fields.map((field, index) => {
    const reader = field.kind === "text" ? "readViewString" : "readViewNumber";
    return `out.${field.key} = ${reader}(text, ${FIRST_VIEW_SLOT + index});  // K_${field.json.toUpperCase()}`;
  });
  return new Map([["view-read", read]]);
}

/** The files with generated regions. */
export const GENERATED_FILES: readonly GeneratedFile[] = [
  { url: new URL("../src/event/scanner.wat", import.meta.url), comment: ";;", regions: watRegions },
  { url: new URL("../src/event/fields.ts", import.meta.url), comment: "//", regions: fieldsRegions },
  { url: new URL("../src/event/scanner.ts", import.meta.url), comment: "//", regions: scannerRegions },
];

/** Lines up the trailing comments (`  ;;` or `  //`) of a region's lines one column past its longest code. */
function alignComments(lines: readonly string[], comment: string): string[] {
  const split = lines.map((line) => {
    const at = line.indexOf(`  ${comment}`);
    return at < 0 ? { code: line, note: "" } : { code: line.slice(0, at), note: line.slice(at + 2) };
  });
  const width = Math.max(...split.filter((l) => l.note !== "").map((l) => l.code.length));
  return split.map((l) => (l.note === "" ? l.code : `${l.code.padEnd(width)}  ${l.note}`));
}

/**
 * `text`, the content of `file`, with every generated region rewritten from `fields` (the table
 * by default), each line indented as its opening marker. Throws on an unknown, repeated,
 * unclosed or missing region, and on a table that cannot be generated.
 */
export function regenerate(text: string, file: GeneratedFile, fields: readonly ScannerViewField[] = SCANNER_VIEW_FIELDS): string {
  const generated = file.regions(fields);
  const open = new RegExp(`^(\\s*)${file.comment} <generated: ([a-z-]+)>$`);
  const close = new RegExp(`^\\s*${file.comment} </generated>$`);
  const seen = new Set<string>();
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    out.push(line);
    const marker = open.exec(line);
    if (marker === null) continue;
    const [, margin = "", name = ""] = marker;
    const body = generated.get(name);
    if (body === undefined || seen.has(name)) throw new Error(`${file.url.pathname}: unknown or repeated region '${name}'`);
    seen.add(name);
    while (i + 1 < lines.length && !close.test(lines[i + 1] ?? "")) i++;
    if (i + 1 >= lines.length) throw new Error(`${file.url.pathname}: region '${name}' has no end marker`);
    out.push(...alignComments(body, file.comment).map((code) => margin + code));
  }
  const missing = [...generated.keys()].filter((name) => !seen.has(name));
  if (missing.length > 0) throw new Error(`${file.url.pathname}: no region ${missing.join(", ")}`);
  return out.join("\n");
}
