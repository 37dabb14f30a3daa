/** The SSE server process (bench/server.ts) as seen from the benchmark: start it, hear its marks, stop it. */
import { spawnChild, waitUntil } from "./child.ts";

/** A running bench/server.ts. */
export interface Feed {
  /** URL of the stream (the server answers on any path; this is EventStreams' one). */
  url: string;
  /** Bytes of the whole pre-encoded stream (buffer mode), else null. */
  bytes: number | null;
  /** Calls `listener` with N each time the server reports having sent N events (a --mark). */
  onMark(listener: (sent: number) => void): void;
  stop(): Promise<void>;
}

interface ServerMessage {
  port?: number;
  bytes?: number | null;
  sent?: number;
}

/** Starts `bun bench/server.ts` with `args` in its own process and waits for it to announce its port. */
export async function startFeed(args: string[]): Promise<Feed> {
  const listeners: ((sent: number) => void)[] = [];
  let ready: { port: number; bytes: number | null } | undefined;
  let buffered = "";
  const onStdout = (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === "") continue;
      const message = JSON.parse(line) as ServerMessage;
      if (message.port !== undefined) ready = { port: message.port, bytes: message.bytes ?? null };
      if (message.sent !== undefined) for (const listener of listeners) listener(message.sent);
    }
  };
  const child = spawnChild(["bun", new URL("./server.ts", import.meta.url).pathname, ...args], { measurePeak: false, onStdout });
  let exited = false;
  void child.done.then(() => {
    exited = true;
  });
  await waitUntil(() => ready !== undefined || exited, 120_000, "bench/server.ts to start");
  if (ready === undefined) throw new Error(`bench/server.ts ${args.join(" ")} failed: ${child.stderr()}`);
  return {
    url: `http://127.0.0.1:${ready.port}/v2/stream/recentchange`,
    bytes: ready.bytes,
    onMark: (listener) => listeners.push(listener),
    async stop() {
      child.kill("SIGKILL");
      await child.done;
    },
  };
}
