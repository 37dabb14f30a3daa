/**
 * Before handing an address to ioredis, look at who answers there. ioredis retries forever
 * against an HTTP server (with "Protocol error … Please report this"), and waits silently on a
 * port that accepts and says nothing: one PING says what is there, in words a person can act on.
 */
import { connect, type Socket } from "node:net";

/** What answered a PING. */
export type ProbeResult =
  | { kind: "redis" }
  /** Nobody listens (or the host is unreachable): Redis may come up later, so that is for retrying. */
  | { kind: "unreachable"; why: string }
  | { kind: "not-redis"; sent: Uint8Array }
  | { kind: "silent" };

/** First bytes of every RESP2/RESP3 reply type: a Redis answers PING with one of these (+PONG, -NOAUTH…). */
const RESP_TYPE_BYTES = new Set([..."+-:$*_,#!=(%~>|"].map((c) => c.charCodeAt(0)));
/** Stands for "the peer reset the connection" among the answers (no byte is ever this array). */
const RESET = new Uint8Array();
/** Bytes kept of a foreign answer, to show what it was. */
const EXCERPT_BYTES = 48;

/** Sends PING to host:port and sorts the first bytes of the answer. */
export function probeRedisPeer(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket: Socket = connect({ host, port });
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(socket.connecting ? { kind: "unreachable", why: `no connection within ${timeoutMs}ms` } : { kind: "silent" }), timeoutMs);
    let connected = false;
    socket.once("connect", () => {
      connected = true;
      socket.write("PING\r\n");
    });
    socket.once("data", (data: Buffer) => {
      const first = data[0];
      finish(first !== undefined && RESP_TYPE_BYTES.has(first) ? { kind: "redis" } : { kind: "not-redis", sent: new Uint8Array(data.subarray(0, EXCERPT_BYTES)) });
    });
    socket.once("error", (error: Error & { code?: string }) => {
      // A reset after the connection was made is an answer: Redis never resets on PING, a TLS
      // server does when the first bytes are not a handshake.
      if (connected && error.code === "ECONNRESET") finish({ kind: "not-redis", sent: RESET });
      else finish({ kind: "unreachable", why: error.code ?? error.message });
    });
    // Closed without a word: not Redis either (a Redis always answers PING, even to refuse it).
    socket.once("end", () => finish({ kind: "not-redis", sent: new Uint8Array() }));
  });
}

/** What a foreign peer sent, for a message: printable text as is, anything else as \xNN, a TLS record by name. */
export function describeForeignReply(sent: Uint8Array): string {
  if (sent === RESET) return "it reset the connection when sent PING: is it a rediss:// (TLS) server?";
  if (sent.length === 0) return "it closed the connection without a word";
  // A TLS server answers plain text with an alert record: 0x15, then version 3.x.
  if (sent[0] === 0x15 && sent[1] === 0x03) return "it answered with a TLS alert: is it a rediss:// (TLS) server?";
  let text = "";
  for (const byte of sent) text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : byte === 0x0d || byte === 0x0a ? " " : `\\x${byte.toString(16).padStart(2, "0")}`;
  return `it sent "${text.replace(/\s+/g, " ").trim()}…"`;
}
