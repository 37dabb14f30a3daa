import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { classifyResponse, parseRetryAfter, summarizeBody, type ResponseAction, type ResponseFacts } from "../../../src/source/response.ts";

const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);
const URL_ = "https://stream.example/v2/stream/recentchange";
const UA = "tester/1.0 (t@example.org)";

function facts(over: Partial<ResponseFacts>): ResponseFacts {
  return { status: 200, contentType: "text/event-stream", retryAfter: null, body: "", sentId: false, url: URL_, userAgent: UA, nowMs: NOW, ...over };
}

function fatal(action: ResponseAction): WikistreamError {
  if (action.kind !== "fatal") throw new Error(`expected fatal, got ${JSON.stringify(action)}`);
  expect(action.error).toBeInstanceOf(WikistreamError);
  return action.error;
}

describe("classifyResponse: 200", () => {
  test.each(["text/event-stream", "text/event-stream; charset=utf-8", "Text/Event-Stream"])("200 with '%s' is read", (contentType) => {
    expect(classifyResponse(facts({ contentType }))).toEqual({ kind: "read" });
  });

  test.each([
    { contentType: "text/html", shown: "'text/html'" },
    { contentType: "application/json", shown: "'application/json'" },
    { contentType: "", shown: "'no content type'" },
  ])("200 with '$contentType' is retried (a proxy page?) after the usual backoff", ({ contentType, shown }) => {
    const action = classifyResponse(facts({ contentType, body: "<html>login</html>" }));
    expect(action).toEqual({ kind: "retry", why: expect.stringContaining(shown), retryAfterMs: undefined, cause: "other" });
  });
});

describe("classifyResponse: other statuses", () => {
  test("400 to our Last-Event-ID: resume by time, saying what the server said", () => {
    expect(classifyResponse(facts({ status: 400, sentId: true, body: "bad id" }))).toEqual({ kind: "resume-rejected", why: "HTTP 400: bad id" });
  });

  test("400 with an empty body still says HTTP 400", () => {
    expect(classifyResponse(facts({ status: 400, sentId: true }))).toEqual({ kind: "resume-rejected", why: "HTTP 400" });
  });

  test("400 without a Last-Event-ID is fatal and points at --url", () => {
    const error = fatal(classifyResponse(facts({ status: 400, body: "bad since" })));
    expect(error.type).toBe("http");
    expect(error.message).toBe(`the stream answered HTTP 400: bad since for ${URL_}: check --url`);
  });

  test("403 is fatal, asks for --user-agent and shows the one sent", () => {
    const error = fatal(classifyResponse(facts({ status: 403, body: "<html><title>Forbidden</title></html>", sentId: true })));
    expect(error.type).toBe("forbidden");
    expect(error.message).toContain("HTTP 403: Forbidden");
    expect(error.message).toContain("--user-agent");
    expect(error.message).toContain(`(sent: "${UA}")`);
    expect(error.exitCode).toBe(1);
  });

  test.each([301, 401, 404, 405, 410, 418, 499])("%p is fatal and names the URL", (status) => {
    const error = fatal(classifyResponse(facts({ status, body: "Not Found" })));
    expect(error.type).toBe("http");
    expect(error.message).toBe(`the stream answered HTTP ${status}: Not Found for ${URL_}: check --url`);
  });

  test.each([
    [408, "other"],
    [425, "other"],
    [429, "429"],
    [500, "5xx"],
    [502, "5xx"],
    [503, "5xx"],
    [504, "5xx"],
    [599, "5xx"],
  ] as const)("%p is retried, as a reconnect caused by %p", (status, cause) => {
    const action = classifyResponse(facts({ status, sentId: true }));
    expect(action).toEqual({ kind: "retry", why: expect.stringContaining(`answered HTTP ${status}`), retryAfterMs: undefined, cause });
  });

  test("429 says that Wikimedia allows 2 connections per IP", () => {
    const action = classifyResponse(facts({ status: 429 }));
    expect(action.kind === "retry" && action.why).toContain("2 connections per IP");
  });

  const date30s = new Date(NOW + 30_000).toUTCString();
  const retryAfterRows: { status: number; retryAfter: string | null; expected: number | undefined }[] = [
    { status: 429, retryAfter: "120", expected: 120_000 },
    { status: 503, retryAfter: "120", expected: 120_000 },
    { status: 429, retryAfter: date30s, expected: 30_000 },
    { status: 503, retryAfter: date30s, expected: 30_000 },
    { status: 429, retryAfter: null, expected: undefined },
    { status: 503, retryAfter: "whenever", expected: undefined },
    // Other statuses do not promise anything with Retry-After: the usual backoff applies.
    { status: 408, retryAfter: "120", expected: undefined },
    { status: 425, retryAfter: "120", expected: undefined },
    { status: 500, retryAfter: "120", expected: undefined },
    { status: 502, retryAfter: date30s, expected: undefined },
    { status: 504, retryAfter: "120", expected: undefined },
  ];
  const labelled = retryAfterRows.map((row) => ({ ...row, header: String(row.retryAfter), wait: row.expected === undefined ? "the usual backoff" : `${row.expected} ms` }));
  test.each(labelled)("$status with Retry-After '$header' waits $wait", ({ status, retryAfter, expected }) => {
    const action = classifyResponse(facts({ status, retryAfter }));
    expect(action.kind).toBe("retry");
    expect(action.kind === "retry" && action.retryAfterMs).toBe(expected);
  });
});

describe("parseRetryAfter", () => {
  test.each([
    { value: null, expected: undefined },
    { value: "0", expected: 0 },
    { value: "5", expected: 5000 },
    { value: " 5 ", expected: 5000 },
    { value: "3600", expected: 3_600_000 },
    { value: "Thu, 01 Jan 2026 00:01:00 GMT", expected: 60_000 },
    { value: "Wed, 31 Dec 2025 23:00:00 GMT", expected: 0 }, // a date in the past: now
    { value: "", expected: undefined },
    { value: "5s", expected: undefined },
    { value: "soon", expected: undefined },
  ].map((row) => ({ ...row, shown: String(row.value), result: String(row.expected) })))("'$shown' → $result", ({ value, expected }) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  // Anything Date.parse accepts is not an HTTP date: "1.5" would read as 5 Jan 2001 and "-1" as
  // 1 Jan 2001, both in the past, and a 429/503 be retried at once instead of after the backoff.
  test.each([
    { value: "1.5", expected: undefined },
    { value: "-1", expected: undefined },
  ])("a malformed Retry-After '$value' is ignored (backoff applies), not read as a date", ({ value, expected }) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe("summarizeBody", () => {
  const long = "word ".repeat(60);
  test.each([
    { name: "an HTML page becomes its title", body: "<!DOCTYPE html><html><head><title> 503 Service Unavailable </title></head><body><p>x</p></body></html>", expected: "503 Service Unavailable" },
    { name: "a title tag with attributes", body: '<html><title lang="en">Bad Gateway</title></html>', expected: "Bad Gateway" },
    {
      name: "a page without a title becomes its text, without tags, scripts and styles",
      body: "<html><head><style>p { color: red }</style><script>if (a<b) go();</script></head><body><h1>Bad  gateway</h1>\n<p>Try later</p></body></html>",
      expected: "Bad gateway Try later",
    },
    { name: "an empty title counts as none", body: "<html><title>  </title><body>Down for maintenance</body></html>", expected: "Down for maintenance" },
    { name: "white space is folded", body: "  rate\t\tlimited\r\n\r\n  try later  ", expected: "rate limited try later" },
    { name: "control characters become a space", body: "a\x00b\x07c\x1bd\x7fe", expected: "a b c d e" },
    { name: "text that is not a page stays as is", body: '{"error":"use <b>x</b>"}', expected: '{"error":"use <b>x</b>"}' },
    { name: "an empty body", body: "", expected: "" },
    { name: "exactly 160 characters are kept whole", body: "x".repeat(160), expected: "x".repeat(160) },
    { name: "161 characters are cut to 160 with …", body: "x".repeat(161), expected: `${"x".repeat(159)}…` },
    { name: "long text is cut after folding", body: long, expected: `${long.trim().slice(0, 159)}…` },
  ])("$name", ({ body, expected }) => {
    expect(summarizeBody(body)).toBe(expected);
  });

  test("the excerpt is never longer than 160 characters", () => {
    for (const body of ["y".repeat(10_000), `<html><title>${"t".repeat(500)}</title></html>`, `<body>${"<b>z</b> ".repeat(400)}</body>`]) {
      expect(summarizeBody(body).length).toBeLessThanOrEqual(160);
    }
  });
});
