/**
 * Text from outside (an error page, another server's answer) made fit for one line of a log or a
 * terminal: a page's readable text, and whatever could move the cursor, ring, clear the screen
 * or reorder what follows folded into a space with the white space around it.
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

/** The words a person reads in an HTML page: its title when it has one that is not blank, else its text without scripts, styles and tags. */
export function readPageText(html: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  return title && title.trim() ? title : html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ");
}
