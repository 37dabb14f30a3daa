/**
 * The field table (event/dimension.ts) and the counting policy (event/policy.ts): every view's
 * member of every real event equals the plain JSON.parse reading of the README's rules, and
 * unusual values (numbers for strings, lone surrogates, bytes that are not UTF-8) count under
 * `(none)` in a view, where server_name stays a counted skip.
 */
import { describe, expect, test } from "bun:test";
import { FIELD_NAMES, parseView } from "../../../src/event/dimension.ts";
import { CountingPolicy } from "../../../src/event/policy.ts";
import { loadRealEvents, readFieldText } from "../../support/corpus.ts";

/** An event's text as the SSE source hands it over: the Latin-1 view of its UTF-8 bytes. */
const latin1 = (json: string) => Buffer.from(json, "utf8").toString("latin1");

function policyFor(lists: string[]): CountingPolicy {
  return new CountingPolicy({
    views: lists.map(parseView),
    filter: { types: undefined, excludeBots: false, servers: [] },
    horizonMs: () => Number.POSITIVE_INFINITY,
    expiredBeforeMs: () => Number.NEGATIVE_INFINITY,
  });
}

const base = { server_name: "en.wikipedia.org", timestamp: 1_700_000_000, type: "edit", bot: false, namespace: 0, title: "Main Page", user: "Ann", wiki: "enwiki", meta: { id: "m1", domain: "en.wikipedia.org" } };

describe("the field table", () => {
  test("every field alone and all of them at once: each real event's members equal JSON.parse read by the README's rules", () => {
    const events = loadRealEvents();
    expect(events.length).toBeGreaterThan(10_000);
    const lists = [...FIELD_NAMES, FIELD_NAMES.join(",")];
    const policy = policyFor(lists);
    let counted = 0;
    for (const line of events) {
      const verdict = policy.judge(latin1(line));
      if (verdict.skip !== null || verdict.filtered) continue;
      counted++;
      const event = JSON.parse(line) as Record<string, unknown>;
      const expected = lists.map((list) => list.split(",").map((field) => readFieldText(event, field)).join("|"));
      expect(verdict.members).toEqual(expected);
    }
    expect(counted).toBeGreaterThan(10_000);
  });

  test.each([
    ["a number for type, a string for bot, a fraction for namespace", { type: 3, bot: "yes", namespace: 1.5 }, ["(none)", "(none)", "(none)"]],
    ["missing fields", { type: undefined, bot: undefined, namespace: undefined }, ["(none)", "(none)", "(none)"]],
    ["a negative namespace, a bot", { namespace: -1, bot: true }, ["edit", "true", "-1"]],
    ["a namespace past 2^53, -0", { namespace: 1e21, type: "log" }, ["log", "false", "1000000000000000000000"]],
  ])("%s", (_, overrides, members) => {
    const policy = policyFor(["type", "bot", "namespace"]);
    const verdict = policy.judge(latin1(JSON.stringify({ ...base, ...overrides })));
    expect(verdict.skip).toBeNull();
    expect(verdict.members).toEqual(members);
  });

  test("text that does not survive UTF-8: (none) in a title view, a bad-unicode skip for server_name; real Unicode is kept", () => {
    const policy = policyFor(["server_name", "title", "user"]);
    const surrogate = JSON.stringify({ ...base, title: "x" }).replace('"x"', '"\\ud800"');
    expect(policy.judge(latin1(surrogate)).members).toEqual(["en.wikipedia.org", "(none)", "Ann"]);
    const notUtf8 = latin1(JSON.stringify({ ...base, user: "Z" })).replace('"Z"', '"\xff\xfe"');
    expect(policy.judge(notUtf8).members).toEqual(["en.wikipedia.org", "Main Page", "(none)"]);
    expect(policy.judge(latin1(JSON.stringify({ ...base, title: "Čaj | ☕" }))).members).toEqual(["en.wikipedia.org", "Čaj | ☕", "Ann"]);
    const badName = JSON.stringify({ ...base, server_name: "x" }).replace('"x"', '"\\udc00.org"');
    expect(policy.judge(latin1(badName)).skip).toBe("bad-unicode");
  });

  test("an unknown field names the fields there are; a field twice is refused", () => {
    expect(() => parseView("server_name,lang")).toThrow(`'lang' is not a field to count by: use ${FIELD_NAMES.join(", ")} (several joined by commas)`);
    expect(() => parseView("type,type")).toThrow("'type,type' names a field twice");
    expect(parseView("server_name, title").name).toBe("server_name,title");
  });
});
