/** The scripts as ioredis commands: registered under the names runScript calls, with the key count where it goes. */
import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { SCRIPT_COMMANDS, runScript } from "../../../src/sink/redis/commands.ts";
import { ACQUIRE_SCRIPT, INSPECT_SCRIPT, RELEASE_SCRIPT } from "../../../src/sink/redis/scripts.ts";
import { WRITE_SCRIPT } from "../../../src/sink/redis/write-script.ts";

type Client = Parameters<typeof runScript>[0];

/** A client whose every script command records what it was given, instead of sending it. */
function recordCalls(): { client: Client; calls: { name: string; args: (string | number)[] }[] } {
  const calls: { name: string; args: (string | number)[] }[] = [];
  const record =
    (name: string) =>
    async (...args: (string | number)[]) => {
      calls.push({ name, args });
      return "ok";
    };
  const client: Client = {
    wikistreamInspect: record("wikistreamInspect"),
    wikistreamAcquire: record("wikistreamAcquire"),
    wikistreamTakeover: record("wikistreamTakeover"),
    wikistreamRefresh: record("wikistreamRefresh"),
    wikistreamRelease: record("wikistreamRelease"),
    wikistreamWrite: record("wikistreamWrite"),
  };
  return { client, calls };
}

describe("wikistream's scripts as ioredis commands", () => {
  test("a client created with the scripts option has a command of each script's name, for the recorder's names too", () => {
    const client = new Redis({ lazyConnect: true, scripts: SCRIPT_COMMANDS });
    try {
      const names = Object.keys(SCRIPT_COMMANDS).sort();
      expect(names).toEqual(Object.keys(recordCalls().client).sort());
      for (const name of names) expect(typeof Reflect.get(client, name)).toBe("function");
    } finally {
      client.disconnect();
    }
  });

  test("a script that declares its keys gets them as they are; one that does not gets their count first", async () => {
    const { client, calls } = recordCalls();
    expect(await runScript(client, ACQUIRE_SCRIPT, ["p:lock"], ["", "me", 30_000])).toBe("ok");
    await runScript(client, INSPECT_SCRIPT, ["p:lock", "p:layout"], [""]);
    await runScript(client, WRITE_SCRIPT, ["p:lock", "p:layout", "p:checkpoint"], ["2", "me"]);
    expect(calls).toEqual([
      { name: "wikistreamAcquire", args: ["p:lock", "", "me", 30_000] },
      { name: "wikistreamInspect", args: [2, "p:lock", "p:layout", ""] },
      { name: "wikistreamWrite", args: [3, "p:lock", "p:layout", "p:checkpoint", "2", "me"] },
    ]);
    expect(SCRIPT_COMMANDS[ACQUIRE_SCRIPT.name]?.numberOfKeys).toBe(1);
    expect(SCRIPT_COMMANDS[WRITE_SCRIPT.name]?.numberOfKeys).toBeUndefined();
  });

  test("other keys than a script declares are refused before anything is sent", async () => {
    const { client, calls } = recordCalls();
    await expect(runScript(client, RELEASE_SCRIPT, ["p:lock", "p:other"], ["", "me"])).rejects.toThrow("script wikistreamRelease takes 1 key, and was given 2");
    expect(calls).toEqual([]);
  });
});
