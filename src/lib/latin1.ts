/**
 * Event text travels as Latin-1: one character per byte of the UTF-8 the server sent. The
 * engine stores such strings 8 bits a character and nothing is decoded on the hot path; the rare
 * field that needs its real characters (a non-ASCII server_name, an error message) is decoded.
 */

/** Bytes as a Latin-1 string: one character per byte, stored by the engine as 8-bit text. */
export function readLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Turns Latin-1 text (one character per byte) back into the UTF-8 it carried. */
export function decodeLatin1(text: string): string {
  return Buffer.from(text, "latin1").toString("utf8");
}
