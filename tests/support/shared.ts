/**
 * A redis-server or a fixture server for the tests of one file (or one describe): started
 * before them (beforeAll), stopped after them (afterAll), and usable from where it is declared
 * as if it were running already: its fields are read from the started one when a test runs.
 */
import { afterAll, beforeAll } from "bun:test";
import { startFixtureServer, type FixtureOptions, type FixtureServer } from "./fixture-server.ts";
import { startRedis, type StartRedisOptions, type TestRedis } from "./redis.ts";

function shareForTests<T extends object>(start: () => T | Promise<T>, stop: (started: T) => Promise<void>, what: string): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    if (started !== undefined) await stop(started);
  });
  return new Proxy({} as T, {
    get(_target, key) {
      if (started === undefined) throw new Error(`the shared ${what} is used before its beforeAll ran`);
      const value: unknown = Reflect.get(started, key);
      return typeof value === "function" ? value.bind(started) : value;
    },
  });
}

/** A redis-server for the tests of this file or describe (arguments as startRedis's). */
export function shareRedis(extraArgs: string[] = [], options: StartRedisOptions = {}): TestRedis {
  return shareForTests(() => startRedis(extraArgs, options), (redis) => redis.stop(), "redis-server");
}

/** A fixture SSE server for the tests of this file or describe. */
export function shareFixtureServer(options: FixtureOptions): FixtureServer {
  return shareForTests(() => startFixtureServer(options), (server) => server.stop(), "fixture server");
}
