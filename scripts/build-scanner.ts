/**
 * Assembles the field scanner's WebAssembly text into the binary the program loads:
 *
 *   bun run scanner           rewrites the generated regions of scanner.wat, fields.ts and
 *                             scanner.ts from the view field table (src/event/scanner-fields.ts,
 *                             see scanner-regions.ts), then assembles
 *                             src/event/scanner.wat → src/event/scanner.wasm
 *   bun run scanner --check   exit 1 when a region is stale, or the committed scanner.wasm is not
 *                             what scanner.wat makes
 *
 * Both files are committed: the program and its compiled executable load the .wasm and never need
 * wabt. The output depends only on the text and the wabt version in bun.lock (no timestamps or
 * paths go in), so tests/system/release/scanner.test.ts can assemble the text again and compare byte for byte.
 */
import wabt from "wabt";
import { GENERATED_FILES, regenerate } from "./scanner-regions.ts";

/** The text format source, written for people. */
export const SCANNER_WAT = new URL("../src/event/scanner.wat", import.meta.url);

/** The committed binary that src/event/scanner.ts loads. */
export const SCANNER_WASM = new URL("../src/event/scanner.wasm", import.meta.url);

/**
 * Assembles WebAssembly text with SIMD enabled (the scanner's first stage needs it) into a
 * validated binary. Function and local names are kept in the name section, so profilers and
 * stack traces show `$walk_object` rather than a function index. Throws wabt's message on errors.
 */
export async function assembleScanner(text: string): Promise<Uint8Array> {
  const tools = await wabt();
  const parsed = tools.parseWat("scanner.wat", text, { simd: true });
  try {
    parsed.resolveNames();
    parsed.validate();
    const { buffer } = parsed.toBinary({ log: false, canonicalize_lebs: true, relocatable: false, write_debug_names: true });
    return buffer;
  } finally {
    parsed.destroy();
  }
}

/** Rewrites (unless `check`) the files with generated regions; returns the files whose regions were stale, and scanner.wat as generated. */
async function regenerateAll(check: boolean): Promise<{ stale: string[]; wat: string }> {
  const stale: string[] = [];
  let wat = "";
  for (const file of GENERATED_FILES) {
    const text = await Bun.file(file.url).text();
    const filled = regenerate(text, file);
    if (file.url.href === SCANNER_WAT.href) wat = filled;
    if (filled === text) continue;
    stale.push(file.url.pathname.split("/").pop() ?? "");
    if (!check) await Bun.write(file.url, filled);
  }
  return { stale, wat };
}

/**
 * Rewrites the generated regions and assembles scanner.wat into scanner.wasm, or (`check`) only
 * compares all with what is on disk. Returns whether the files on disk are current.
 */
export async function buildScanner(check: boolean): Promise<boolean> {
  const { stale, wat } = await regenerateAll(check);
  const wasm = await assembleScanner(wat);
  const committed = Bun.file(SCANNER_WASM);
  const current = (await committed.exists()) && Buffer.from(await committed.bytes()).equals(wasm);
  if (check) {
    if (stale.length > 0) console.log(`generated regions of ${stale.join(", ")} differ from src/event/scanner-fields.ts: run \`bun run scanner\``);
    console.log(current ? "scanner.wasm is up to date" : "scanner.wasm differs from scanner.wat: run `bun run scanner`");
    return current && stale.length === 0;
  }
  await Bun.write(SCANNER_WASM, wasm);
  console.log(`regions rewritten: ${stale.length > 0 ? stale.join(", ") : "none"}; scanner.wasm: ${wasm.length} bytes${current ? " (unchanged)" : ""}`);
  return true;
}

if (import.meta.main) {
  const args = Bun.argv.slice(2);
  const unknown = args.find((arg) => arg !== "--check");
  if (unknown !== undefined) {
    console.error(`error: unexpected argument '${unknown}'\nUsage: bun scripts/build-scanner.ts [--check]`);
    process.exit(2);
  }
  try {
    if (!(await buildScanner(args.includes("--check")))) process.exit(1);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
