/**
 * A TCP proxy in front of a redis-server that can disturb the answer to one write: lose it
 * (the write lands, its reply never comes back) or hold it back until the test lets it go.
 * The write is told by `marker`, a key only the write script names (the prefix's checkpoint):
 * the first command naming it once armed is passed to Redis as it is.
 */
import { connect, createServer, type Socket } from "node:net";

/** What the proxy does with the answer to the next write: drop the connection before it, or keep it until release(). */
export type ReplyFate = "lose" | "hold";

/** A running proxy. */
export interface ReplyProxy {
  /** The port a client connects to instead of Redis's. */
  port: Promise<number>;
  /** The next write's answer meets `fate`. */
  arm(fate: ReplyFate): void;
  /** Whether the armed write went through to Redis (its answer then lost or held). */
  caught(): boolean;
  /** Passes on what a held answer's connection kept back, and everything after it. */
  release(): void;
  close(): void;
}

/** Starts a proxy to the redis-server on 127.0.0.1:`redisPort` (see the module comment). */
export function startReplyProxy(redisPort: number, marker: string): ReplyProxy {
  let armed: ReplyFate | null = null;
  let caught = false;
  const releases: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(redisPort, "127.0.0.1");
    let fate: ReplyFate | null = null;
    const held: Buffer[] = [];
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (data: Buffer) => {
      upstream.write(data);
      if (armed === null || !data.includes(marker)) return;
      fate = armed;
      armed = null;
      if (fate === "lose") {
        // Long enough for Redis to run the script; its answer is never passed on.
        setTimeout(() => {
          caught = true;
          client.destroy();
        }, 300);
        return;
      }
      caught = true;
      releases.push(() => {
        fate = null;
        for (const part of held.splice(0)) client.write(part);
      });
    });
    upstream.on("data", (data: Buffer) => {
      if (fate === "hold") held.push(data);
      else if (fate === null) client.write(data);
    });
  });
  const port = new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  return {
    port,
    arm: (fate) => {
      armed = fate;
    },
    caught: () => caught,
    release: () => {
      for (const release of releases.splice(0)) release();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
