/** What the table-driven tests of the flag parsers share. */
import { expect } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";

/**
 * The usage message thrown by `run`, without the "(see wikistream --help)" tail it must have:
 * a `usage` error, exit 2. Fails when `run` accepts.
 */
export function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (!(error instanceof WikistreamError)) throw error;
    expect(error.type).toBe("usage");
    expect(error.exitCode).toBe(2);
    expect(error.message).toEndWith(" (see wikistream --help)");
    return error.message.replace(/ \(see wikistream --help\)$/, "");
  }
  throw new Error("accepted, expected a refusal");
}
