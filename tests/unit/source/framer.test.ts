import { describe, expect, test } from "bun:test";
import { LineFramer } from "../../../src/source/framer.ts";

/** A framer fed `chunks`; returns every emitted piece and how often a line was cut. */
function frame(chunks: readonly string[], limitChars = 1000): { pieces: string[]; cuts: number } {
  const pieces: string[] = [];
  let cuts = 0;
  const framer = new LineFramer({ limitChars, emit: (text) => pieces.push(text), onCut: () => cuts++ });
  for (const chunk of chunks) framer.push(chunk);
  return { pieces, cuts };
}

const endsWithLineEnd = (text: string) => /[\r\n]$/.test(text);

describe("LineFramer: line endings", () => {
  test.each<{ name: string; chunks: string[]; pieces: string[] }>([
    { name: "LF", chunks: ["data: a\n\n"], pieces: ["data: a\n\n"] },
    { name: "CRLF", chunks: ["data: a\r\n\r\n"], pieces: ["data: a\r\n\r\n"] },
    { name: "CR", chunks: ["data: a\r\r"], pieces: ["data: a\r\r"] },
    { name: "CR after the last LF", chunks: ["a\nb\rc"], pieces: ["a\nb\r"] },
    { name: "a CR before the last LF", chunks: ["a\rb\nc"], pieces: ["a\rb\n"] },
    { name: "a partial line is held back", chunks: ["data: a\ndata: b"], pieces: ["data: a\n"] },
    { name: "a chunk without a line end emits nothing", chunks: ["data: par"], pieces: [] },
    { name: "the carried line is joined with the head of the next chunk", chunks: ["da", "ta: x\nmore"], pieces: ["data: x\n"] },
    { name: "a carried line and whole lines after it", chunks: ["id: 1", "\ndata: y\n\n"], pieces: ["id: 1\n", "data: y\n\n"] },
    { name: "a carry over three chunks", chunks: ["da", "ta", ": z\n"], pieces: ["data: z\n"] },
    { name: "a carried line ended by CR", chunks: ["data: q", "\rnext"], pieces: ["data: q\r"] },
    { name: "CRLF split between chunks", chunks: ["a\r", "\nb\n"], pieces: ["a\r", "\nb\n"] },
  ])("$name", ({ chunks, pieces }) => {
    expect(frame(chunks)).toEqual({ pieces, cuts: 0 });
  });
});

describe("LineFramer: any chunking gives the same text", () => {
  const streams = [
    { name: "LF", text: "id: 1\ndata: {\"a\":1}\n\n: comment\n\ndata: two\n\n" },
    { name: "CRLF", text: "id: 1\r\ndata: one\r\n\r\ndata: two\r\n\r\n" },
    { name: "CR", text: "id: 1\rdata: one\r\rdata: two\r\r" },
    { name: "mixed", text: "event: message\r\ndata: a\n\rid: 9\r\rdata: b\n\n" },
  ];

  test.each(streams)("$name: split at every offset into two chunks", ({ text }) => {
    for (let i = 0; i <= text.length; i++) {
      const { pieces, cuts } = frame([text.slice(0, i), text.slice(i)], 64);
      expect({ at: i, text: pieces.join(""), cuts }).toEqual({ at: i, text, cuts: 0 });
      for (const piece of pieces) expect(endsWithLineEnd(piece)).toBe(true);
    }
  });

  test.each(streams)("$name: split at every pair of offsets into three chunks", ({ text }) => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const { pieces } = frame([text.slice(0, i), text.slice(i, j), text.slice(j)], 64);
        expect({ at: [i, j], text: pieces.join("") }).toEqual({ at: [i, j], text });
      }
    }
  });

  test.each(streams)("$name: one character at a time", ({ text }) => {
    expect(frame([...text], 64).pieces.join("")).toBe(text);
  });

  test("a stream that ends inside a line emits everything up to its last line end", () => {
    const text = "data: a\n\ndata: b";
    for (let i = 0; i <= text.length; i++) expect(frame([text.slice(0, i), text.slice(i)], 64).pieces.join("")).toBe("data: a\n\n");
  });
});

describe("LineFramer: the line limit", () => {
  const LIMIT = 8;
  test.each<{ name: string; chunks: string[]; pieces: string[]; cuts: number }>([
    {
      name: "a partial line over the limit is cut; the rest up to the line end is dropped",
      chunks: ["abcdefghijkl", "mnop\nnext\n"],
      pieces: ["abcdefgh", "\nnext\n"],
      cuts: 1,
    },
    {
      name: "a carried line that grows over the limit in the next chunk",
      chunks: ["abcde", "fghijkl\nnext\n"],
      pieces: ["abcdefgh", "\nnext\n"],
      cuts: 1,
    },
    {
      name: "a long tail after whole lines",
      chunks: [`ok\n${"x".repeat(20)}`, "yyy\nnext\n"],
      pieces: ["ok\n", "xxxxxxxx", "\nnext\n"],
      cuts: 1,
    },
    {
      name: "chunks without a line end are dropped while skipping; onCut is called once",
      chunks: ["x".repeat(20), "y".repeat(50), "z".repeat(50), "zz\r\nnext\r\n"],
      pieces: ["xxxxxxxx", "\r\nnext\r\n"],
      cuts: 1,
    },
    {
      name: "the line after a cut line, split itself, is whole",
      chunks: ["x".repeat(20), "yy\nne", "xt\n"],
      pieces: ["xxxxxxxx", "\n", "next\n"],
      cuts: 1,
    },
    {
      name: "two long lines are two cuts",
      chunks: ["x".repeat(10), "x\n", "y".repeat(10), "y\nok\n"],
      pieces: ["xxxxxxxx", "\n", "yyyyyyyy", "\nok\n"],
      cuts: 2,
    },
    { name: "a line of exactly the limit is whole", chunks: ["abcd", "efgh\n"], pieces: ["abcdefgh\n"], cuts: 0 },
    { name: "a carried partial line of exactly the limit is kept", chunks: ["abcdefgh", "\n"], pieces: ["abcdefgh\n"], cuts: 0 },
    { name: "one character over the limit, carried, is cut", chunks: ["abcdefgh", "i\nok\n"], pieces: ["abcdefgh", "\nok\n"], cuts: 1 },
    // By design: only text the framer would have to hold is limited; a long line that arrives
    // whole is already in memory and passed on (the event reader checks the event's size).
    { name: "a long line that arrives whole with its line end is passed on", chunks: [`${"w".repeat(20)}\nok\n`], pieces: [`${"w".repeat(20)}\nok\n`], cuts: 0 },
  ])("$name", ({ chunks, pieces, cuts }) => {
    expect(frame(chunks, LIMIT)).toEqual({ pieces, cuts });
  });

  test("a cut line's head is the limit long, whatever the split", () => {
    const line = "L".repeat(30);
    for (let i = 1; i < line.length; i++) {
      const { pieces, cuts } = frame([line.slice(0, i), line.slice(i), "\nnext\n"], LIMIT);
      expect({ at: i, head: pieces[0], rest: pieces.slice(1).join(""), cuts }).toEqual({ at: i, head: "L".repeat(LIMIT), rest: "\nnext\n", cuts: 1 });
    }
  });
});
