/**
 * Text from outside (an error page, another server's answer) made fit for one line of a log or a
 * terminal: whatever could move the cursor, ring, clear the screen or reorder what follows is
 * folded into a space with the white space around it.
 */

/**
 * C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the bidirectional
 * overrides and isolates (they reorder the rest of the line), and white space.
 */
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\s]+/g;

/** `text` on one line: every run of controls and white space one space, trimmed. */
export function formatOneLine(text: string): string {
  return text.replace(UNPRINTABLE, " ").trim();
}
