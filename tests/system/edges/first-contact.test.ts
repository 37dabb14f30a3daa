/**
 * The small things a new user met (issue 17, item 10), each against the compiled binary: a
 * reader never claims "nothing was written"; an empty --user-agent is called empty; the README's
 * rule for --retain with --rollup is the one the binary applies.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { runWikistream } from "../../support/process.ts";
import { findFreePort } from "../../support/redis.ts";
import { shareRedis } from "../../support/shared.ts";

setDefaultTimeout(60_000);

const ROOT = new URL("../../..", import.meta.url).pathname;
const redis = shareRedis(["--databases", "4"]);

describe("a database the server does not have", () => {
  test.each([{ name: "top", command: ["top"] }, { name: "read", command: ["read", "--from", "2021-10-08T22:00:00Z"] }])("$name: one line naming the databases, and no word of writing (it never writes)", async ({ command }) => {
    const result = await runWikistream([...command, "--redis-url", `${redis.url}/99`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${redis.url}/99: the server has databases 0–3; pick one of those in --redis-url\n`);
  });

  test("the counting run, which would write, still says nothing was written", async () => {
    const result = await runWikistream(["--url", "http://127.0.0.1:1/", "--redis-url", `${redis.url}/99`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${redis.url}/99: the server has databases 0–3; pick one of those in --redis-url (nothing was written)`);
  });
});

describe("--user-agent", () => {
  test.each([[["--user-agent", ""]], [["--user-agent="]], [["--user-agent", "  "]]])("%j: called empty, with why one is needed and the way out, exit 2", async (args) => {
    const result = await runWikistream(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: --user-agent is empty: Wikimedia refuses requests without a descriptive User-Agent (HTTP 403); name your tool and a contact (e.g. 'mytool/1.0 (me@example.org)'), or leave --user-agent out for wikistream's own (see wikistream --help)\n",
    );
  });
});

describe("--retain with --rollup: the README's rule is the binary's", () => {
  const bounded = /## Staying bounded\n([\s\S]*?)\n## /.exec(readFileSync(`${ROOT}README.md`, "utf8"))?.[1] ?? "";

  test("the README: windows outlive an hour (a day is summed from its hours), hours outlive a day", () => {
    const rule = bounded.replace(/\s+/g, " ");
    expect(rule).toContain("`--retain` must be at least an hour plus `--lateness` plus one `--window` (`1d` too: a day is summed from its hours, not from the windows)");
    expect(rule).toContain("`--retain-rollup` at least a day plus `--lateness` plus an hour");
  });

  test("the binary: --rollup 1d --retain 2h is taken; --retain 1h is refused naming the hour", async () => {
    const port = await findFreePort();
    // Nothing listens there: a run whose settings were taken gives up (exit 1), not a usage error (2).
    const taken = await runWikistream(["--url", "http://127.0.0.1:1/", "--redis-url", `redis://127.0.0.1:${port}`, "--rollup", "1d", "--retain", "2h", "--give-up-after", "1s"]);
    expect(taken.stderr).not.toContain("--retain 2h");
    expect(taken.code).toBe(1);
    const refused = await runWikistream(["--redis-url", `redis://127.0.0.1:${port}`, "--rollup", "1d", "--retain", "1h"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--retain 1h is shorter than the 1h rollup needs");
    const days = await runWikistream(["--redis-url", `redis://127.0.0.1:${port}`, "--rollup", "1d", "--retain-rollup", "1d"]);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain("--retain-rollup 1d is shorter than the 1d rollup needs");
  });
});
