import { describe, expect, test } from "bun:test";
import { CSV_HEADER, createWindowsPrinter, csvField, filterServers, formatReadText, formatWindowsCsv, formatWindowsJson } from "../../../src/cli/query-format.ts";
import { formatTop } from "../../../src/cli/top-format.ts";
import type { WindowView } from "../../../src/window/types.ts";
import type { WindowWire } from "../../../src/window/wire.ts";

/** A window of 30 s starting at `startS`, with these counts. */
function view(startS: number, counts: Record<string, number>, flags: { final?: boolean; incomplete?: boolean } = {}): WindowView {
  const map = new Map(Object.entries(counts));
  const total = [...map.values()].reduce((a, b) => a + b, 0);
  return { startMs: startS * 1000, endMs: (startS + 30) * 1000, total, counts: map, final: flags.final ?? true, incomplete: flags.incomplete ?? false };
}

const T = 1_764_150_000;
const busy = view(T, { "b.wiki": 2, "a.wiki": 2, "c.wiki": 9 });
const quiet = view(T + 30, {});
const partial = view(T + 60, { "a.wiki": 1 }, { final: false, incomplete: true });

describe("csvField", () => {
  test.each([
    ["en.wikipedia.org", "en.wikipedia.org"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rhere", '"cr\rhere"'],
  ])("%p → %p", (text, field) => {
    expect(csvField(text)).toBe(field);
  });
});

describe("formatWindowsCsv", () => {
  test("a row per wiki per window, busiest first then by name; a quiet window is one row with an empty name and 0", () => {
    expect(formatWindowsCsv([busy, quiet, partial])).toBe(
      [
        CSV_HEADER,
        `${T},${T + 30},c.wiki,9,false,true`,
        `${T},${T + 30},a.wiki,2,false,true`,
        `${T},${T + 30},b.wiki,2,false,true`,
        `${T + 30},${T + 60},,0,false,true`,
        `${T + 60},${T + 90},a.wiki,1,true,false`,
        "",
      ].join("\n"),
    );
  });

  test("no windows: the header alone", () => {
    expect(formatWindowsCsv([])).toBe(`${CSV_HEADER}\n`);
  });

  test("a name with a comma is quoted, so every row keeps six fields", () => {
    const text = formatWindowsCsv([view(T, { "odd,name": 1 })]);
    expect(text.split("\n")[1]).toBe(`${T},${T + 30},"odd,name",1,false,true`);
  });
});

describe("formatWindowsJson", () => {
  test("one line: start and end in seconds, both flags, counts busiest first", () => {
    const text = formatWindowsJson([busy, quiet, partial]);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(2);
    const parsed = JSON.parse(text) as { windows: WindowWire[] };
    expect(parsed).toEqual({
      windows: [
        { start: T, end: T + 30, total: 13, final: true, incomplete: false, counts: { "c.wiki": 9, "a.wiki": 2, "b.wiki": 2 } },
        { start: T + 30, end: T + 60, total: 0, final: true, incomplete: false, counts: {} },
        { start: T + 60, end: T + 90, total: 1, final: false, incomplete: true, counts: { "a.wiki": 1 } },
      ],
    });
    expect(Object.keys(parsed.windows[0]?.counts ?? {})).toEqual(["c.wiki", "a.wiki", "b.wiki"]);
  });

  test("no windows: an empty list", () => {
    expect(formatWindowsJson([])).toBe('{"windows":[]}\n');
  });
});

describe("filterServers", () => {
  test.each([
    { patterns: [], names: ["a.wiki", "b.wiki", "c.wiki"], total: 13 },
    { patterns: [/^a\./], names: ["a.wiki"], total: 2 },
    { patterns: [/^a\./, /^c\./], names: ["a.wiki", "c.wiki"], total: 11 },
    { patterns: [/^z/], names: [], total: 0 },
  ].map((row) => ({ ...row, shown: row.patterns.map(String).join(" ") || "none" })))("$shown keeps $names", ({ patterns, names, total }) => {
    const kept = filterServers(busy, patterns);
    expect([...kept.counts.keys()].sort()).toEqual(names);
    expect(kept.total).toBe(total);
    expect(kept.startMs).toBe(busy.startMs);
  });
});

describe("formatReadText", () => {
  test("a line per window: span, total, busiest wikis, flags in words", () => {
    expect(formatReadText([busy, quiet, partial]).split("\n")).toEqual([
      "2025-11-26 09:40:00–09:40:30 UTC  13 changes on 3 wikis: c.wiki 9, a.wiki 2, b.wiki 2",
      "2025-11-26 09:40:30–09:41:00 UTC  no changes",
      "2025-11-26 09:41:00–09:41:30 UTC  1 change on 1 wiki: a.wiki 1 (incomplete: misses events; not final: late events may still come)",
      "",
    ]);
  });

  test("past five wikis it says how many more", () => {
    const many = view(T, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`w${i}.wiki`, 10 - i])));
    expect(formatReadText([many])).toContain("w4.wiki 6, … 3 more\n");
  });

  test("nothing for no windows", () => {
    expect(formatReadText([])).toBe("");
  });

  test("another view names its members after its fields, not wikis", () => {
    const byType: WindowView = { startMs: 1_764_151_200_000, endMs: 1_764_151_230_000, total: 3, counts: new Map([["edit", 2], ["new", 1]]), final: true, incomplete: false };
    expect(formatReadText([byType], "type")).toBe("2025-11-26 10:00:00–10:00:30 UTC  3 changes on 2 type values: edit 2, new 1\n");
  });
});

describe("formatTop", () => {
  const windows = [partial, quiet, busy].map((w, i) => ({ ...w, startMs: (T + 30 * i) * 1000, endMs: (T + 30 * i + 30) * 1000 }));
  const lines = formatTop(windows, { columns: 80 }).split("\n");

  test("the newest window's header, a heading, its wikis busiest first, the total and the incomplete marks", () => {
    expect(lines[0]).toBe("newest window 2025-11-26 09:41:00–09:41:30 UTC: 13 changes on 3 wikis");
    expect(lines.slice(2, 8).map((line) => line.split(/\s{2,}/).slice(1, 3))).toEqual([
      ["wiki", "changes"],
      ["c.wiki", "9"],
      ["a.wiki", "2"],
      ["b.wiki", "2"],
      ["all wikis", "13"],
      ["incomplete", "^"],
    ]);
  });

  test("each sparkline is a character per window, zero a space; the marks sit under the incomplete window", () => {
    const cRow = lines.find((line) => line.startsWith("  c.wiki")) ?? "";
    expect(cRow.endsWith("  █")).toBe(true); // two windows without c.wiki, then its peak (trailing spaces trimmed)
    const aRow = lines.find((line) => line.startsWith("  a.wiki")) ?? "";
    expect(aRow.endsWith("  ▄ █")).toBe(true); // 1 of its peak 2: half height
    const all = lines.find((line) => line.startsWith("  all wikis")) ?? "";
    const marks = lines.find((line) => line.startsWith("  incomplete")) ?? "";
    expect(all.slice(-3)).toBe("▁ █");
    expect(marks.length).toBe(all.length - 2);
    expect(marks.endsWith("^")).toBe(true);
  });

  test("bars scale to the busiest wiki; no line has trailing spaces or passes 80 columns", () => {
    const bar = (name: string) => (lines.find((line) => line.startsWith(`  ${name}`))?.match(/█+/)?.[0] ?? "").length;
    expect(bar("c.wiki")).toBeGreaterThan(bar("a.wiki"));
    expect(bar("a.wiki")).toBe(bar("b.wiki"));
    for (const line of lines) {
      expect(line).toBe(line.trimEnd());
      expect(line.length).toBeLessThanOrEqual(80);
    }
  });

  test("more windows than fit: the sparklines show the newest that do, and say how many; nothing wraps", () => {
    const long = Array.from({ length: 200 }, (_, i) => view(T + 30 * i, { "en.wikipedia.org": i + 1 }, { incomplete: i === 199 }));
    for (const columns of [80, 120]) {
      const text = formatTop(long, { columns }).split("\n");
      for (const line of text) expect({ columns, length: line.length <= columns }).toEqual({ columns, length: true });
      const shown = Number(/last (\d+) windows/.exec(text.find((line) => line.includes("last ")) ?? "")?.[1]);
      expect(shown).toBeGreaterThan(10);
      expect(shown).toBeLessThan(200);
      // The newest window is the sparkline's last character, its mark right under it.
      expect(text.find((line) => line.startsWith("  incomplete"))?.endsWith("^")).toBe(true);
      expect(text.at(-2)).toContain(`–${new Date((T + 30 * 200) * 1000).toISOString().slice(11, 19)} UTC`);
    }
  });

  test("top 10 unless --all, with a line saying how many more", () => {
    const many = view(T, Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`w${String(i).padStart(2, "0")}.wiki`, 20 - i])));
    const ten = formatTop([many]);
    expect(ten).toContain("  … 3 more wikis (--all lists them)");
    expect(ten).not.toContain("w10.wiki");
    const all = formatTop([many], { all: true });
    expect(all).toContain("w12.wiki");
    expect(all).not.toContain("more wiki");
  });

  test("a quiet newest window says no changes; no window, no text", () => {
    expect(formatTop([busy, quiet]).split("\n")[0]).toBe("newest window 2025-11-26 09:40:30–09:41:00 UTC: no changes");
    expect(formatTop([])).toBe("");
  });

  test("colour only when asked", () => {
    expect(formatTop(windows)).not.toContain("\x1b[");
    expect(formatTop(windows, { color: true })).toContain("\x1b[36m█");
  });
});

describe("createWindowsPrinter", () => {
  const all = [busy, quiet, partial];
  const whole = { csv: formatWindowsCsv(all), json: formatWindowsJson(all), text: formatReadText(all) };
  test.each(["csv", "json", "text"] as const)("%s: head, each batch, tail print what the whole list prints, however it is cut", (format) => {
    for (const cuts of [[3], [1, 2], [2, 1], [1, 1, 1], [0, 3, 0]]) {
      const printer = createWindowsPrinter(format);
      let out = printer.head;
      let at = 0;
      for (const n of cuts) {
        out += printer.batch(all.slice(at, at + n));
        at += n;
      }
      expect({ cuts, out: out + printer.tail }).toEqual({ cuts, out: whole[format] });
    }
  });
  test("no windows: an empty list in each format", () => {
    expect(["csv", "json", "text"].map((f) => { const p = createWindowsPrinter(f as "csv"); return p.head + p.tail; })).toEqual([`${CSV_HEADER}\n`, '{"windows":[]}\n', ""]);
  });
});
