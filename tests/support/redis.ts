import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";

/** A port nobody listens on right now. */
export async function findFreePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/** A redis-server of the test's own, on a free port, that the test may kill and restart. */
export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  client: Redis;
  /** Keys and values of the whole db as plain data, for comparing two runs. */
  dump(prefix?: string): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `redis-server` with the given extra arguments and waits until it answers PING. */
export async function startRedis(extraArgs: string[] = [], options: { port?: number } = {}): Promise<TestRedis> {
  const port = options.port ?? (await findFreePort());
  const dir = mkdtempSync(join(tmpdir(), "wikistream-redis-"));
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const start = async () => {
    proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extraArgs], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = Bun.spawnSync(["redis-cli", "-p", String(port), ...authArgs(extraArgs), "ping"], { stderr: "ignore" });
      if (probe.stdout.toString().includes("PONG")) return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await Bun.sleep(50);
    }
  };
  await start();
  const password = passwordOf(extraArgs);
  const client = new Redis({ port, host: "127.0.0.1", password, lazyConnect: false, maxRetriesPerRequest: 50, retryStrategy: () => 100 });
  client.on("error", () => undefined);
  const handle: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    client,
    async dump(prefix = "") {
      const keys = (await client.keys(`${prefix}*`)).sort();
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const type = await client.type(key);
        if (type === "zset") out[key] = await client.zrange(key, 0, -1, "WITHSCORES");
        else if (type === "set") out[key] = (await client.smembers(key)).sort();
        else if (type === "hash") out[key] = await client.hgetall(key);
        else if (type === "string") out[key] = await client.get(key);
        else out[key] = type;
      }
      return out;
    },
    async kill(signal = "SIGKILL") {
      proc?.kill(signal);
      await proc?.exited;
    },
    start,
    async stop() {
      client.disconnect();
      proc?.kill("SIGKILL");
      await proc?.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

function passwordOf(args: string[]): string | undefined {
  const i = args.indexOf("--requirepass");
  return i === -1 ? undefined : args[i + 1];
}

function authArgs(args: string[]): string[] {
  const password = passwordOf(args);
  return password === undefined ? [] : ["-a", password, "--no-auth-warning"];
}
