/** The Redis sink in the registry: one server, TLS, Sentinel or Cluster (url.ts), loaded with ioredis only when asked for. */
import type { SinkProvider } from "../provider.ts";
import { formatRedisUrl } from "./url.ts";

/** Redis, by URL scheme; see the module comment. */
export const REDIS_PROVIDER: SinkProvider = {
  schemes: ["redis", "rediss", "redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster"],
  keepsState: true,
  describe: (url) => (url === undefined ? "Redis" : formatRedisUrl(url)),
  async create(request) {
    const { createRedisSink } = await import("./sink.ts");
    if (request.url === undefined) throw new TypeError("the Redis sink needs a URL");
    return createRedisSink({ ...request.store, url: request.url, log: request.log, observer: request.observer });
  },
  async readRecent(from, count) {
    const { createWindowReader } = await import("./reader.ts");
    const { describeReadError } = await import("./reader-connection.ts");
    let reader: Awaited<ReturnType<typeof createWindowReader>> | undefined;
    try {
      reader = await createWindowReader(from);
      return await reader.latest(count);
    } catch (error) {
      throw reader ? describeReadError(error, reader.where) : error;
    } finally {
      await reader?.close();
    }
  },
};
