/**
 * A failed connection in our words, whoever failed it (Bun's fetch, node:net, ioredis), and one
 * question asked of a peer that did not answer as expected: does it speak TLS?
 */
import { connect as connectTls } from "node:tls";
import { formatError, readErrorCode } from "./error.ts";

/** Socket codes (node's and Bun's fetch's) and what they mean to a person. */
const CODE_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ConnectionRefused: "connection refused",
  ECONNRESET: "the connection was closed before an answer",
  ConnectionClosed: "the connection was closed before an answer",
  ETIMEDOUT: "no answer to connect",
  ConnectionTimeout: "no answer to connect",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  FailedToOpenSocket: "cannot open a socket",
};

/** A socket error code in words ("connection refused"), or undefined for a code not known here. */
export function describeSocketCode(code: string): string | undefined {
  return Object.hasOwn(CODE_WORDS, code) ? CODE_WORDS[code] : undefined;
}

/** Sentences the runtime adds to its errors that are not for our users (they name its own options). */
const RUNTIME_ADVICE = [/\s*Is the computer able to access the url\?/, /\s*For more information, pass `verbose: true` in the second argument to fetch\(\)/];

/**
 * Why a connection or request failed, in a few words of ours: a known socket code by name
 * ("connection refused"), else the message without the runtime's advice about its own options.
 */
export function describeNetworkError(error: unknown): string {
  const code = readErrorCode(error);
  const words = describeSocketCode(code);
  if (words !== undefined) return words;
  let message = formatError(error);
  for (const advice of RUNTIME_ADVICE) message = message.replace(advice, "");
  message = message.trim();
  return code !== "" && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * True when `host:port` completes a TLS handshake (any certificate: this asks what the peer
 * speaks, not whether to trust it); false on anything else within `timeoutMs`.
 */
export function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTls({ host, port, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }) });
    const finish = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once("secureConnect", () => finish(true));
    socket.once("error", () => finish(false));
    socket.once("close", () => finish(false));
  });
}
