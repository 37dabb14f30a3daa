/**
 * The start of an answer that is not the stream (an error page, a proxy's HTML): enough of it
 * for a one-line message, never the whole. A broken proxy may send an endless body; reading it
 * whole took gigabytes, again on every retry.
 */
import { decodeLatin1, readLatin1 } from "../lib/latin1.ts";

/** Bytes of an error body read for its message; the rest is never read. */
export const ERROR_BODY_CAP_BYTES = 64 * 1024;

/** Whether an answer is the event stream itself (read as a stream, never as a message). */
export function isEventStream(status: number, contentType: string): boolean {
  return status === 200 && contentType.toLowerCase().includes("text/event-stream");
}

/**
 * Reads at most {@link ERROR_BODY_CAP_BYTES} of `response`'s body as text (UTF-8, a cut
 * character replaced), then drops the connection: the reader is cancelled and `connection`
 * aborted, so nothing more is received. A body that fails midway gives what came before.
 */
export async function readBodyStart(response: Response, connection: AbortController): Promise<string> {
  const body = response.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: string[] = [];
  let bytes = 0;
  try {
    while (bytes < ERROR_BODY_CAP_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = value.subarray(0, ERROR_BODY_CAP_BYTES - bytes);
      chunks.push(readLatin1(part));
      bytes += part.byteLength;
    }
  } catch {
    // Cut off (the idle watchdog, a reset): the message is what arrived.
  } finally {
    reader.cancel().catch(() => undefined);
    connection.abort();
  }
  return decodeLatin1(chunks.join(""));
}
