/**
 * What went wrong, as a string union so callers can branch without `instanceof` chains.
 * - `usage`: a bad flag or value; exit code 2.
 * - `forbidden`: the stream refused us (HTTP 403), usually the User-Agent policy.
 * - `http`: the stream answered with a status we cannot retry.
 * - `redis`: Redis refused us in a way retrying cannot fix (credentials, read-only replica, TLS).
 * - `lock`: another wikistream writes to the same prefix.
 * - `checkpoint`: the saved state does not fit the options given.
 * - `stuck`: nothing moved for as long as --give-up-after allows.
 * - `stale`: Redis lost writes (a failover, a restart): the run starts again from its checkpoint.
 */
export type WikistreamErrorType = "usage" | "forbidden" | "http" | "redis" | "lock" | "checkpoint" | "stuck" | "stale";

/** An error the user can act on: its message is one line that says what to do. */
export class WikistreamError extends Error {
  readonly type: WikistreamErrorType;

  constructor(type: WikistreamErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WikistreamError";
    this.type = type;
  }

  /** The process exit code for this error: 2 for usage errors, 1 for the rest. */
  get exitCode(): number {
    return this.type === "usage" ? 2 : 1;
  }
}

/** Reads a message out of anything thrown, without trusting its shape. */
export function formatError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The `code` property of anything thrown (`ECONNREFUSED`, `ERR_TLS_…`), or "" when it has none. */
export function readErrorCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
}
