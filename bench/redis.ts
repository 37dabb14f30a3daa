/** A redis-server of the benchmark's own: free port, no persistence, killed at the end. */
import Redis from "ioredis";
import { killChildren, spawnChild, waitUntil, type Child } from "./child.ts";
import type { ViewCounts } from "./members.ts";

/** A running redis-server and a client to inspect what was written. */
export interface BenchRedis {
  url: string;
  client: Redis;
  version: string;
  /**
   * Window start (ms) → sum of the window's counts, read from `<prefix>epochs` and each window's
   * sorted set. A quiet window (listed in `epochs` without a key) reads as 0; checkTotals ignores it
   * when the data has no such window.
   */
  readTotals(prefix: string): Promise<Map<number, number>>;
  /**
   * One view's windows (window start in ms → member → count): the window keys `{viewPrefix}S` of
   * every start in `{prefix}epochs`, and of any other such key there is.
   */
  readView(prefix: string, viewPrefix: string): Promise<ViewCounts>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export function findFreePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/** Starts redis-server with --save "" --appendonly no on a free port and waits for PING. */
export async function startRedis(): Promise<BenchRedis> {
  const port = findFreePort();
  const child: Child = spawnChild(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", "/tmp"], {
    measurePeak: false,
  });
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on("error", () => undefined);
  let ready = false;
  const probe = async () => {
    try {
      if (client.status === "wait") await client.connect();
      ready = (await client.ping()) === "PONG";
    } catch {
      ready = false;
    }
  };
  await waitUntil(() => {
    void probe();
    return ready;
  }, 10_000, `redis-server on port ${port}`).catch((error: unknown) => {
    killChildren();
    throw error;
  });
  const info = await client.info("server");
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    version,
    async readTotals(prefix) {
      const totals = new Map<number, number>();
      const starts = await client.zrange(`${prefix}epochs`, 0, -1);
      const pipeline = client.pipeline();
      for (const start of starts) pipeline.zrange(`${prefix}${start}`, 0, -1, "WITHSCORES");
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, reply], i) => {
        if (error) throw error;
        const flat = reply as string[];
        let total = 0;
        for (let k = 1; k < flat.length; k += 2) total += Number(flat[k]);
        totals.set(Number(starts[i]) * 1000, total);
      });
      return totals;
    },
    async readView(prefix, viewPrefix) {
      const starts = new Set(await client.zrange(`${prefix}epochs`, 0, -1));
      for (const key of await client.keys(`${viewPrefix}*`)) {
        const rest = key.slice(viewPrefix.length);
        if (/^\d+$/.test(rest)) starts.add(rest);
      }
      const view: ViewCounts = new Map();
      for (const start of starts) {
        const flat = await client.zrange(`${viewPrefix}${start}`, 0, -1, "WITHSCORES");
        if (flat.length === 0) continue;
        const window = new Map<string, number>();
        for (let k = 0; k < flat.length; k += 2) window.set(flat[k] ?? "", Number(flat[k + 1]));
        view.set(Number(start) * 1000, window);
      }
      return view;
    },
    async flush() {
      await client.flushall();
    },
    async stop() {
      client.disconnect();
      child.kill("SIGKILL");
      await child.done;
    },
  };
}
