import { describe, expect, test } from "bun:test";
import { ERROR_BODY_CAP_BYTES, isEventStream, readBodyStart } from "../../../src/source/error-body.ts";

/** A body of `chunk` repeated for ever, counting the chunks pulled and telling when it was cancelled. */
function endless(chunk: Uint8Array) {
  const seen = { pulls: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      seen.pulls++;
      controller.enqueue(chunk);
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { body, seen };
}

describe("readBodyStart", () => {
  test("reads an endless body up to the cap, then cancels it and aborts the connection", async () => {
    const { body, seen } = endless(new TextEncoder().encode("garbage ".repeat(1000)));
    const connection = new AbortController();
    const text = await readBodyStart(new Response(body, { status: 503 }), connection);
    expect(text.length).toBe(ERROR_BODY_CAP_BYTES);
    expect(text.startsWith("garbage garbage")).toBe(true);
    expect(seen.cancelled).toBe(true);
    expect(connection.signal.aborted).toBe(true);
    // Nothing read past the cap: the chunks pulled hold at most one chunk more than the cap.
    expect(seen.pulls * 8000).toBeLessThan(ERROR_BODY_CAP_BYTES + 3 * 8000);
  });

  test("a short body is read whole and decoded as UTF-8; a character cut by the cap is replaced, not thrown", async () => {
    expect(await readBodyStart(new Response("Service Unavailable — réessayez", { status: 503 }), new AbortController())).toBe("Service Unavailable — réessayez");
    const cut = "x".repeat(ERROR_BODY_CAP_BYTES - 1) + "é";
    const text = await readBodyStart(new Response(cut, { status: 503 }), new AbortController());
    expect(text).toBe(`${"x".repeat(ERROR_BODY_CAP_BYTES - 1)}\ufffd`);
  });

  test("no body is an empty message", async () => {
    expect(await readBodyStart(new Response(null, { status: 502 }), new AbortController())).toBe("");
  });
});

describe("isEventStream", () => {
  test.each([
    [200, "text/event-stream; charset=utf-8", true],
    [200, "Text/Event-Stream", true],
    [200, "text/html", false],
    [503, "text/event-stream", false],
  ] as const)("%d %s → %p", (status, type, expected) => {
    expect(isEventStream(status, type)).toBe(expected);
  });
});
