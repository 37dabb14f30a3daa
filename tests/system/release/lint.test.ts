import { expect, setDefaultTimeout, test } from "bun:test";

setDefaultTimeout(60_000);

const ROOT = new URL("../../..", import.meta.url).pathname;

function run(cmd: string[]) {
  const result = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

test("the TypeScript sources type-check (strict, noUncheckedIndexedAccess)", () => {
  const { code, output } = run(["bun", "run", "--silent", "typecheck"]);
  expect(output).toBe("");
  expect(code).toBe(0);
});

test("both GitHub workflows pass actionlint (offline)", () => {
  const { code, output } = run(["bun", "run", "--silent", "lint:workflows"]);
  expect(output).toContain("Checking 2 workflow file(s)");
  expect(output).toContain("All workflow files passed");
  expect(code).toBe(0);
});
