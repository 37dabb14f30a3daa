// The WebAssembly scanner as shipped: the committed scanner.wasm is scanner.wat assembled, it
// loads (from source and from a compiled executable), a failure to load is reported rather than
// swallowed, and it answers real events itself. Its answers are checked against JSON.parse in
// tests/unit/event/fields.test.ts.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import wabt from "wabt";
import { compileExecutable } from "../../../build.ts";
import { SCANNER_WAT, SCANNER_WASM, assembleScanner } from "../../../scripts/build-scanner.ts";
import { GENERATED_FILES, regenerate } from "../../../scripts/scanner-regions.ts";
import { createEventFields, extractFieldsLatin1, fastPathAcceptsLatin1, scannerStatus, slowPathCount } from "../../../src/event/fields.ts";
import { instantiateScanner } from "../../../src/event/scanner.ts";
import { loadRealEvents } from "../../support/corpus.ts";

// Assembling the scanner and reading every real event take about a second on a quiet machine,
// many on a busy one: the limit only catches a hang.
setDefaultTimeout(120_000);

const EVENT_DIR = new URL("../../../src/event/", import.meta.url);

describe("scanner.wasm", () => {
  test("is scanner.wat assembled (run `bun run scanner` after editing the .wat or scanner-fields.ts)", async () => {
    const text = await Bun.file(SCANNER_WAT).text();
    const assembled = await assembleScanner(text);
    const committed = await Bun.file(SCANNER_WASM).bytes();
    expect(Buffer.from(committed).equals(assembled)).toBe(true);
    // The same text always gives the same bytes.
    expect(Buffer.from(await assembleScanner(text)).equals(assembled)).toBe(true);
  });

  test("the generated regions of scanner.wat, fields.ts and scanner.ts are what the view field table makes", async () => {
    expect(GENERATED_FILES.map((file) => file.url.pathname.split("/").pop())).toEqual(["scanner.wat", "fields.ts", "scanner.ts"]);
    for (const file of GENERATED_FILES) {
      const text = await Bun.file(file.url).text();
      expect(regenerate(text, file)).toBe(text);
    }
  });

  test("a stale generated region is rewritten from the table", async () => {
    const [wat, fields] = GENERATED_FILES;
    if (wat === undefined || fields === undefined) throw new Error("no generated files");
    const text = await Bun.file(wat.url).text();
    const stale = text.replace("(i32.const 0x72657375))", "(i32.const 0x72657376))"); // "user", in the key matches
    expect(stale).not.toBe(text);
    expect(regenerate(stale, wat)).toBe(text);
    const fieldsText = await Bun.file(fields.url).text();
    const missing = fieldsText.replace("  out.title = undefined;\n", "");
    expect(missing).not.toBe(fieldsText);
    expect(regenerate(missing, fields)).toBe(fieldsText);
  });

  test("a change to the text changes the bytes", async () => {
    const text = await Bun.file(SCANNER_WAT).text();
    const edited = text.replace("(i32.const 0x65757274)", "(i32.const 0x65757275)");
    expect(edited).not.toBe(text);
    expect(Buffer.from(await assembleScanner(edited)).equals(await assembleScanner(text))).toBe(false);
  });

  test("loads here", () => {
    expect(scannerStatus()).toEqual({ fast: true });
  });
});

describe("instantiateScanner", () => {
  test("throws on bytes that are no module", () => {
    expect(() => instantiateScanner(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]))).toThrow();
  });

  test("refuses a module without the scanner's exports", async () => {
    const tools = await wabt();
    const parsed = tools.parseWat("bare.wat", '(module (memory (export "memory") 1))');
    const bytes = parsed.toBinary({}).buffer;
    parsed.destroy();
    expect(() => instantiateScanner(new Uint8Array(bytes))).toThrow("the module exports no run function");
  });
});

describe("slow path count", () => {
  test("counts the events extractFieldsLatin1 hands to JSON.parse, and only those", () => {
    const out = createEventFields();
    const before = slowPathCount();
    expect(extractFieldsLatin1('{"server_name":"s","timestamp":1}', out)).toBe("ok");
    expect(slowPathCount()).toBe(before);
    expect(extractFieldsLatin1('{"server_name":"s\\u0041"}', out)).toBe("ok"); // an escape in a picked string
    expect(out.serverName).toBe("sA");
    expect(slowPathCount()).toBe(before + 1);
    expect(extractFieldsLatin1("{", out)).toBe("invalid-json");
    expect(slowPathCount()).toBe(before + 2);
    fastPathAcceptsLatin1("{");
    expect(slowPathCount()).toBe(before + 2);
  });

  // One assertion over all the answers, not one per event.
  test("the fast path answers at least 99.9 % of the real events", () => {
    const lines = loadRealEvents().map((line) => Buffer.from(line, "utf8").toString("latin1"));
    const out = createEventFields();
    const before = slowPathCount();
    const refused = lines.filter((line) => extractFieldsLatin1(line, out) !== "ok");
    const slow = slowPathCount() - before;
    expect(refused).toEqual([]);
    expect(lines.length).toBe(10_966);
    expect((lines.length - slow) / lines.length).toBeGreaterThanOrEqual(0.999);
  });
});

/** Copies fields.ts, scanner.ts, scanner-fields.ts, types.ts (and scanner.wasm, unless `wasm` says otherwise) into a fresh folder, with a probe entry that prints what it sees. */
function stageProbe(wasm: Uint8Array | "committed"): string {
  const dir = mkdtempSync(join(tmpdir(), "wikistream-scanner-"));
  for (const file of ["fields.ts", "scanner.ts", "scanner-fields.ts", "types.ts", "wasm.d.ts"]) copyFileSync(new URL(file, EVENT_DIR), join(dir, file));
  if (wasm === "committed") copyFileSync(SCANNER_WASM, join(dir, "scanner.wasm"));
  else writeFileSync(join(dir, "scanner.wasm"), wasm);
  writeFileSync(
    join(dir, "probe.ts"),
    `import { createEventFields, extractFieldsLatin1, scannerStatus, slowPathCount } from "./fields.ts";
const out = createEventFields();
const status = extractFieldsLatin1('{"meta":{"domain":"en.wikipedia.org"},"server_name":"en.wikipedia.org","timestamp":1633694400}', out);
console.log(JSON.stringify({ scanner: scannerStatus(), status, serverName: out.serverName, timestamp: out.timestamp, slow: slowPathCount() }));
`,
  );
  return dir;
}

interface ProbeReport {
  scanner: { fast: boolean; reason?: string };
  status: string;
  serverName: string;
  timestamp: number;
  slow: number;
}

function runProbe(command: string[]): ProbeReport {
  const proc = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  expect(proc.stderr.toString()).toBe("");
  return JSON.parse(proc.stdout.toString()) as ProbeReport;
}

describe("loading", () => {
  test("a broken scanner.wasm is reported, and every event still gets the exact answer from JSON.parse", () => {
    const dir = stageProbe(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]));
    try {
      const report = runProbe([process.execPath, join(dir, "probe.ts")]);
      expect(report.scanner.fast).toBe(false);
      expect(report.scanner.reason).toContain("cannot instantiate");
      expect(report.scanner.reason).toContain("scanner.wasm");
      expect(report).toMatchObject({ status: "ok", serverName: "en.wikipedia.org", timestamp: 1633694400, slow: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Compiled as build.ts compiles the program (bytecode, ESM, minified); the sources and the
  // .wasm are deleted before the run, so the scanner can only come from inside the executable.
  test("a compiled executable carries scanner.wasm inside", async () => {
    const dir = stageProbe("committed");
    try {
      const outfile = join(dir, "probe-bin");
      await compileExecutable({ label: "probe", entry: join(dir, "probe.ts"), outfile, commit: "test", target: undefined, executablePath: undefined });
      for (const file of ["probe.ts", "fields.ts", "scanner.ts", "scanner-fields.ts", "types.ts", "scanner.wasm"]) rmSync(join(dir, file));
      const report = runProbe([outfile]);
      expect(report).toEqual({ scanner: { fast: true }, status: "ok", serverName: "en.wikipedia.org", timestamp: 1633694400, slow: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
