/**
 * wikistream's Lua scripts as ioredis commands: every client gets them when it is created
 * (client.ts passes {@link SCRIPT_COMMANDS} as ioredis's `scripts` option, its `defineCommand`),
 * and they are run by name. ioredis sends a script's text once per connection (EVAL) and its
 * SHA-1 after that (EVALSHA); a server that does not know it (SCRIPT FLUSH, a restart, a
 * failover to a replica that never saw it) answers NOSCRIPT, and ioredis sends the text again.
 * In a Cluster it sends each script to the node of its keys' slot (all under the prefix's hash tag).
 */
import type { ClientContext, Result } from "ioredis";
import { formatCount } from "../../lib/plural.ts";
import { ACQUIRE_SCRIPT, INSPECT_SCRIPT, REFRESH_SCRIPT, RELEASE_SCRIPT, TAKEOVER_SCRIPT } from "./scripts.ts";
import { WRITE_SCRIPT } from "./write-script.ts";

/** Every script a client runs; one that is not here cannot be run (see runScript's type). */
const SCRIPTS = [INSPECT_SCRIPT, ACQUIRE_SCRIPT, TAKEOVER_SCRIPT, REFRESH_SCRIPT, RELEASE_SCRIPT, WRITE_SCRIPT] as const;

/** One of {@link SCRIPTS}. */
type RegisteredScript = (typeof SCRIPTS)[number];

/** What a script is given: keys and arguments, as Redis takes them. */
type ScriptArg = string | number;

/** The scripts as commands of a client, by name (what `defineCommand` adds to it). */
type ScriptCommands<Context extends ClientContext> = {
  readonly [Name in RegisteredScript["name"]]: (...args: ScriptArg[]) => Result<unknown, Context>;
};

// ioredis's documented way to type commands defined by `defineCommand`: they become commands of
// every Redis and Cluster client (and their pipelines), as the `scripts` option makes them.
declare module "ioredis" {
  interface RedisCommander<Context> extends ScriptCommands<Context> {}
}

/** The scripts in the shape of ioredis's `scripts` client option: name → text and key count. */
export const SCRIPT_COMMANDS: Record<string, { lua: string; numberOfKeys?: number }> = Object.fromEntries(
  SCRIPTS.map((script) => [script.name, script.numberOfKeys === undefined ? { lua: script.lua } : { lua: script.lua, numberOfKeys: script.numberOfKeys }]),
);

/**
 * Runs `script` on `client` by its command name, with its keys and arguments; the key count
 * goes first when the script does not declare one. Resolves with Redis's answer; rejects with
 * Redis's error (a NOSCRIPT never reaches here: ioredis answers it by sending the text).
 */
export async function runScript(client: ScriptCommands<{ type: "default" }>, script: RegisteredScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
  if (script.numberOfKeys !== undefined && script.numberOfKeys !== keys.length) {
    throw new TypeError(`script ${script.name} takes ${formatCount(script.numberOfKeys, "key")}, and was given ${keys.length}`);
  }
  const count = script.numberOfKeys === undefined ? [keys.length] : [];
  return await client[script.name](...count, ...keys, ...args);
}
