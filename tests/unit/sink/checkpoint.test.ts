import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { VERSION } from "../../../src/lib/version.ts";
import { formatCheckpointFields, parseCheckpointFields } from "../../../src/sink/redis/checkpoint.ts";
import type { Checkpoint } from "../../../src/window/types.ts";

const KEY = "wikistream:checkpoint";
const NOW = 1_764_151_234_567;

const full: Checkpoint = {
  resume: { id: '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":42}]', sinceMs: 1_764_151_200_000, maxSeenMs: 1_764_151_230_000, recentTimes: [1_764_151_229_000, 1_764_151_231_500], recent: ["a-1", "b-2", "c-3"] },
  finalMs: 1_764_151_170_000,
  originMs: 1_764_150_000_000,
  windowMs: 30_000,
  latenessMs: 60_000,
  readAfter: 17,
};

describe("checkpoint fields: format then parse gives the checkpoint back", () => {
  test.each<{ name: string; checkpoint: Checkpoint }>([
    { name: "every field set", checkpoint: full },
    { name: "a fresh run: nulls and no recent ids", checkpoint: { resume: { id: null, sinceMs: null, maxSeenMs: null, recentTimes: [], recent: [] }, finalMs: null, originMs: null, windowMs: 30_000, latenessMs: 0, readAfter: 0 } },
    { name: "since without an id", checkpoint: { ...full, resume: { ...full.resume, id: null } } },
    { name: "zero times are not null", checkpoint: { ...full, resume: { ...full.resume, sinceMs: 0, maxSeenMs: 0 }, finalMs: 0, originMs: 0 } },
    { name: "ids with quotes, commas and unicode", checkpoint: { ...full, resume: { ...full.resume, recent: ['"q"', "a,b", "ü-✓"] } } },
    { name: "a two-minute window", checkpoint: { ...full, windowMs: 120_000, latenessMs: 5_000 } },
  ])("$name", ({ checkpoint }) => {
    expect(parseCheckpointFields(formatCheckpointFields(checkpoint, NOW), KEY)).toEqual(checkpoint);
  });
});

describe("formatCheckpointFields", () => {
  test("every field is a string; none is empty text; times in ms; the version and update time", () => {
    expect(formatCheckpointFields(full, NOW)).toEqual({
      id: full.resume.id ?? "",
      since_ms: "1764151200000",
      max_seen_ms: "1764151230000",
      recent: '["a-1","b-2","c-3"]',
      recent_times: "[1764151229000,1764151231500]",
      read_after: "17",
      final_ms: "1764151170000",
      origin_ms: "1764150000000",
      window_ms: "30000",
      lateness_ms: "60000",
      updated_ms: String(NOW),
      version: VERSION,
    });
  });

  test("null becomes empty text", () => {
    const fields = formatCheckpointFields({ ...full, resume: { ...full.resume, id: null, sinceMs: null }, finalMs: null }, NOW);
    expect([fields.id, fields.since_ms, fields.final_ms]).toEqual(["", "", ""]);
  });
});

describe("parseCheckpointFields", () => {
  test("no fields (the key does not exist) → null", () => {
    expect(parseCheckpointFields({}, KEY)).toBeNull();
  });

  const good = formatCheckpointFields(full, NOW);

  test.each([
    { field: "since_ms", value: "abc" },
    { field: "max_seen_ms", value: "12x" },
    { field: "final_ms", value: "Infinity" },
    { field: "origin_ms", value: "NaN" },
    { field: "window_ms", value: "thirty" },
    { field: "lateness_ms", value: "1m" },
    { field: "read_after", value: "many" },
  ])("$field = '$value' → a checkpoint error naming the field", ({ field, value }) => {
    let caught: unknown;
    try {
      parseCheckpointFields({ ...good, [field]: value }, KEY);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WikistreamError);
    expect((caught as WikistreamError).type).toBe("checkpoint");
    expect((caught as WikistreamError).message).toBe(`${KEY} field ${field} is '${value}', not a number: delete the key or run with --no-resume`);
  });

  const notOurs = `${KEY} is not a wikistream checkpoint: delete the key, choose another --prefix, or run with --no-resume`;
  test.each<{ name: string; fields: Record<string, string> }>([
    { name: "recent is not JSON", fields: { ...good, recent: "a,b" } },
    { name: "recent is a JSON object", fields: { ...good, recent: '{"a":1}' } },
    { name: "recent holds numbers", fields: { ...good, recent: "[1,2]" } },
    { name: "recent is JSON null", fields: { ...good, recent: "null" } },
    { name: "recent_times holds strings", fields: { ...good, recent_times: '["1"]' } },
    { name: "recent_times is not JSON", fields: { ...good, recent_times: "1,2" } },
    { name: "window_ms is missing", fields: { ...good, window_ms: "" } },
    { name: "lateness_ms is missing", fields: Object.fromEntries(Object.entries(good).filter(([k]) => k !== "lateness_ms")) },
    { name: "a hash of something else", fields: { owner: "someone" } },
  ])("$name → not a wikistream checkpoint", ({ fields }) => {
    expect(() => parseCheckpointFields(fields, KEY)).toThrow(notOurs);
  });

  test("a missing recent field reads as no recent ids", () => {
    const { recent: _, ...rest } = good;
    expect(parseCheckpointFields(rest, KEY)?.resume.recent).toEqual([]);
  });

  test("a checkpoint of 0.1.x (no recent_times, no read_after) reads as no recent times and no replays", () => {
    const { recent_times: _, read_after: __, ...rest } = good;
    const parsed = parseCheckpointFields(rest, KEY);
    expect([parsed?.resume.recentTimes, parsed?.readAfter]).toEqual([[], 0]);
  });

  test("an empty id reads as none", () => {
    expect(parseCheckpointFields({ ...good, id: "" }, KEY)?.resume.id).toBeNull();
  });
});
