import { describe, expect, test } from "bun:test";
import { describeForeignReply } from "../../../src/sink/redis/probe.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const ascii = (text: string) => new TextEncoder().encode(text);

describe("describeForeignReply", () => {
  test.each([
    { name: "an HTTP server's answer, line ends folded", sent: ascii("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"), says: 'it sent "HTTP/1.1 400 Bad Request Content-Type: text/plain…"' },
    { name: "an SSH banner", sent: ascii("SSH-2.0-OpenSSH_9.6\r\n"), says: 'it sent "SSH-2.0-OpenSSH_9.6…"' },
    { name: "bytes that are not text, as \\xNN", sent: bytes(0x00, 0x41, 0xff, 0x09, 0x7f), says: 'it sent "\\x00A\\xff\\x09\\x7f…"' },
    { name: "a TLS alert (0x15 0x03 …)", sent: bytes(0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46), says: "it answered with a TLS alert: is it a rediss:// (TLS) server?" },
    { name: "0x15 without version 3 is not a TLS alert", sent: bytes(0x15, 0x02), says: 'it sent "\\x15\\x02…"' },
    { name: "nothing at all", sent: bytes(), says: "it closed the connection without a word" },
  ])("$name", ({ sent, says }) => {
    expect(describeForeignReply(sent)).toBe(says);
  });
});
