import { describe, expect, test } from "bun:test";
import { FLAGS, type FlagSpec } from "../../../src/cli/flags.ts";
import { formatHelp, HELP_COLUMNS, wrapWords } from "../../../src/cli/help.ts";

describe("wrapWords", () => {
  test.each([
    { text: "", width: 10, lines: [] },
    { text: "   ", width: 10, lines: [] },
    { text: "one", width: 10, lines: ["one"] },
    { text: "a b c", width: 3, lines: ["a b", "c"] },
    { text: "a b c", width: 5, lines: ["a b c"] }, // exactly the width fits
    { text: "a b c", width: 4, lines: ["a b", "c"] },
    { text: "spaces   and\ttabs\nfold", width: 80, lines: ["spaces and tabs fold"] },
    { text: "a extraordinarily b", width: 5, lines: ["a", "extraordinarily", "b"] }, // a longer word stands alone
    { text: "the quick brown fox jumps over the lazy dog", width: 10, lines: ["the quick", "brown fox", "jumps over", "the lazy", "dog"] },
  ].map((row) => ({ ...row, shown: JSON.stringify(row.text) })))("$shown at $width", ({ text, width, lines }) => {
    expect(wrapWords(text, width)).toEqual(lines);
  });

  test("no line is longer than the width unless it is one word", () => {
    const text = "Wikimedia requires a descriptive User-Agent with contact details for every client of EventStreams";
    for (const width of [8, 13, 21, 34]) {
      const lines = wrapWords(text, width);
      expect(lines.join(" ")).toBe(text);
      for (const line of lines) expect(line.length <= width || !line.includes(" ")).toBe(true);
    }
  });
});

describe("formatHelp with the real flag table", () => {
  const header = { description: "Count Wikimedia edits per wiki in tumbling windows, exactly once, into Redis (or stdout).", usage: ["wikistream [flags]", "wikistream --version"] };
  const help = formatHelp(header, FLAGS);
  const lines = help.replace(/\n$/, "").split("\n");

  test("ends with one newline", () => {
    expect(help.endsWith("\n")).toBe(true);
    expect(help.endsWith("\n\n")).toBe(false);
  });

  test.each(lines.map((line, i) => ({ i, line, width: line.length })))("line $i fits in 80 columns ($width)", ({ line }) => {
    expect(line.length).toBeLessThanOrEqual(HELP_COLUMNS);
    expect(line).toBe(line.trimEnd());
  });

  test("the usage lines", () => {
    expect(lines).toContain("Usage: wikistream [flags]");
    expect(lines).toContain("       wikistream --version");
  });

  const specs = Object.entries(FLAGS) as [string, FlagSpec<unknown>][];
  test.each(specs.map(([name, spec]) => ({ name, spec })))("--$name is listed with its hint, env and default", ({ name, spec }) => {
    const head = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.hint ? ` ${spec.hint}` : ""}`;
    const at = lines.findIndex((line) => line.startsWith(`  ${head}`));
    expect(at).toBeGreaterThan(-1);
    // The flag's text runs until the next line that starts a flag.
    const end = lines.findIndex((line, i) => i > at && /^ {2}-/.test(line));
    const text = lines.slice(at, end === -1 ? undefined : end).join(" ").replace(/\s+/g, " ");
    if (spec.env) expect(text).toContain(`env ${spec.env}`);
    const shown = spec.defaultHelp ?? spec.default;
    if (shown !== undefined) expect(text).toContain(`default: ${shown}`);
  });

  test("every help text starts in column 26, after the flag or on a line of its own", () => {
    const flagLines = lines.slice(lines.findIndex((line) => line.startsWith("Flags")) + 1);
    expect(flagLines.length).toBeGreaterThan(Object.keys(FLAGS).length);
    for (const line of flagLines) {
      if (line.startsWith("  -")) {
        if (line.length > 26) expect({ line, gap: line[25], first: line[26] }).toEqual({ line, gap: " ", first: expect.stringMatching(/\S/) });
      } else expect({ line, column: line.search(/\S/) }).toEqual({ line, column: 26 });
    }
  });
});
