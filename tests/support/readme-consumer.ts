/**
 * The README's consumer-group readers (Following the feed), run by the tests exactly as printed
 * there: each ```lang block whose first line names its file is written to a directory of its own
 * inside the repository (so that `import "ioredis"` finds node_modules) and started from there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const written: string[] = [];

/** Writes the README's ```lang block whose first line names `file`; returns its path. */
export function writeReadmeConsumer(lang: "js" | "python", file: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = readme.split(`\`\`\`${lang}\n`).slice(1).map((part) => part.split("```")[0] ?? "").find((code) => code.split("\n")[0]?.includes(file));
  if (block === undefined) throw new Error(`README.md has no \`\`\`${lang} block whose first line names ${file}`);
  const dir = mkdtempSync(join(ROOT, "dist", "consumer-"));
  written.push(dir);
  writeFileSync(join(dir, file), block);
  return join(dir, file);
}

/** Starts a README consumer (`command` and its file) with its settings in the environment. */
export function startConsumer(command: string[], env: Record<string, string>) {
  return Bun.spawn(command, { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
}

/** Removes what writeReadmeConsumer wrote (an afterAll). */
export function removeReadmeConsumers(): void {
  for (const dir of written.splice(0)) rmSync(dir, { recursive: true, force: true });
}
