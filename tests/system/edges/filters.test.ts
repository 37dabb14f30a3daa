/**
 * Filters that cannot match (issue 8, item 5): a change type the service never emits is refused
 * at start; a filter that lets nothing through while events flow is said on stderr, once.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createReplayScenario } from "../../support/corpus.ts";
import { runWikistream, summaryOf } from "../../support/process.ts";
import { shareFixtureServer } from "../../support/shared.ts";

setDefaultTimeout(30_000);

// Two-second windows: the warning waits for a whole window length of wall time.
const { stream, sinceMs, untilMs } = createReplayScenario({ cycles: 2, windowMs: 2000, latenessMs: 4000, untilIntoLastCycleMs: 60_000 });
const server = shareFixtureServer({ events: stream.events, ratePerSec: 1200, chunkEvents: 20 });

beforeAll(() => {
  // About 6 s of reading at this pace: several window lengths.
});
const replay = (extra: string[]) => ["--url", server.url, "--window", "2s", "--lateness", "4s", "--since", String(sinceMs), "--until", String(untilMs), "--format", "jsonl", ...extra];

describe("--type takes only the change types the service emits", () => {
  test.each([["foo"], ["Edit"], ["edit,typo"], ["EDIT,new"]])("--type %p exits 2 listing them", async (types) => {
    const result = await runWikistream(["--type", types]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("is not a change type: use edit, new, log, categorize, external (lower case)");
  });

  test.each([["edit"], ["edit,new,log,categorize,external"]])("--type %p is accepted", async (types) => {
    const result = await runWikistream(["--url", "http://127.0.0.1:1/", "--type", types, "--give-up-after", "1s"]);
    // It starts (and gives up on the unreachable stream): no usage error.
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain("is not a change type");
  });
});

describe("a filter that lets nothing through", () => {
  test("is said once on stderr, with the number of events and the filter as typed", async () => {
    const result = await runWikistream(replay(["--server", "xx.wiki*"]));
    expect(result.code).toBe(0);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("were filtered out"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warn: all \d+ events in the last 2s were filtered out by --server 'xx\.wiki\*': nothing is counted; check the filter/);
    expect(summaryOf(result.stderr)).toMatch(/; 0 counted; .*filtered \d+/);
  });

  test("--type and --exclude-bots are named too", async () => {
    const result = await runWikistream(replay(["--type", "external", "--server", "zz.*", "--exclude-bots"]));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("were filtered out by --type 'external' --server 'zz.*' --exclude-bots");
  });

  test("a filter that lets some events through is not warned about", async () => {
    const result = await runWikistream(replay(["--server", "*.wikipedia.org"]));
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("filtered out");
    expect(summaryOf(result.stderr)).toMatch(/; [1-9]\d* counted/);
  });
});
