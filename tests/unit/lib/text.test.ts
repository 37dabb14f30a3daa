import { describe, expect, test } from "bun:test";
import { formatOneLine, readPageText } from "../../../src/lib/text.ts";

describe("formatOneLine", () => {
  test.each([
    { name: "plain text is kept", text: "Service Unavailable", expected: "Service Unavailable" },
    { name: "C0 controls, DEL and white space fold into one space", text: " a\x00b\x07\x1b[2Jc\t\r\nd\x7fe ", expected: "a b [2Jc d e" },
    { name: "C1 controls (0x9b is a one-byte CSI) fold too", text: "a\x9b31mb\x85c\x80d", expected: "a 31mb c d" },
    { name: "bidirectional overrides and isolates fold too", text: "abc\u202egnp.exe\u2066x\u2069", expected: "abc gnp.exe x" },
    { name: "printable non-ASCII is kept", text: "Wikipédia – «ok» \ufffd", expected: "Wikipédia – «ok» \ufffd" },
    { name: "nothing but controls is empty", text: "\x00\x9b\u202e ", expected: "" },
  ])("$name", ({ text, expected }) => {
    expect(formatOneLine(text)).toBe(expected);
  });
});

describe("readPageText", () => {
  test.each([
    { name: "a page's title", html: "<html><head><title>503 Service Unavailable</title></head><body><h1>x</h1></body></html>", expected: "503 Service Unavailable" },
    { name: "a blank title: the text, tags gone", html: "<title> </title><p>Bad <b>gateway</b></p>", expected: "    Bad  gateway  " },
    { name: "scripts and styles are no text", html: "<style>p{}</style><script>var a = '<p>';</script><p>down</p>", expected: "   down " },
    { name: "text without tags stays", html: "plain words", expected: "plain words" },
  ])("$name", ({ html, expected }) => {
    expect(readPageText(html)).toBe(expected);
  });
});
