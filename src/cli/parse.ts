/**
 * argv + environment → flag values, from the flag table. node:util's parseArgs splits argv (in
 * its lenient mode, which reports every token instead of throwing a message we cannot word);
 * here each token is checked against the table: unknown flags, missing values and positional
 * arguments are refused with one line. citty accepts anything, so this is where typos are caught.
 */
import { parseArgs } from "node:util";
import { WikistreamError } from "../lib/error.ts";
import type { FlagSpec } from "./flags.ts";
import { usage } from "./values.ts";

type Table = Record<string, FlagSpec<unknown>>;

/** Boolean flags accept these inline values (`--quiet=false`). */
const BOOLEAN_TEXT = /^(true|false|1|0)$/;
/** Environment values that switch a boolean on, and off (unset or empty is off too). */
const ENV_TRUE = /^(1|true|yes|on)$/i;
const ENV_FALSE = /^(0|false|no|off)$/i;

/** A boolean from the environment; anything else than yes or no is refused, not read as no. */
function parseEnvBoolean(name: string, variable: string, text: string | undefined): boolean {
  if (text === undefined || text.trim() === "" || ENV_FALSE.test(text.trim())) return false;
  if (ENV_TRUE.test(text.trim())) return true;
  throw usage(`--${name}: ${variable}='${text}' is neither on nor off: use 1 or 0 (true/false, yes/no, on/off also work)`);
}

/** The closest known flag name to a typo, when it is close enough to be what was meant. */
export function suggestFlag(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of names) {
    const d = editDistance(name, candidate);
    // A two-letter flag (--by) is near every short typo: it is suggested for one letter off only.
    if (d < bestDistance && (candidate.length > 2 || d <= 1)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Raw texts per flag as typed (a list of every occurrence), or `true` for a switch. */
type RawValues = Map<string, string[] | boolean>;

/** Splits argv into raw values per flag, refusing anything the table does not know. */
export function readArgv(rawArgs: readonly string[], table: Table): RawValues {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = { type: spec.kind === "boolean" ? "boolean" : "string", multiple: spec.kind === "list", ...(spec.short ? { short: spec.short } : {}) };
  }
  const { tokens } = parseArgs({ args: [...rawArgs], options, strict: false, allowPositionals: true, tokens: true });
  const values: RawValues = new Map();
  for (const token of tokens) {
    if (token.kind === "positional") throw usage(`unexpected argument '${token.value}': wikistream takes only flags`);
    if (token.kind === "option-terminator") continue;
    const spec = table[token.name];
    if (spec === undefined || (token.rawName.startsWith("--") && token.name.length < 2)) {
      const near = suggestFlag(token.name, Object.keys(table));
      throw usage(`unknown flag '${token.rawName}'${near ? `: did you mean --${near}?` : ""}`);
    }
    if (spec.kind === "boolean") {
      if (token.value !== undefined && !BOOLEAN_TEXT.test(token.value)) throw usage(`--${token.name} takes no value`);
      values.set(token.name, token.value === undefined || token.value === "true" || token.value === "1");
      continue;
    }
    // Without `=`, a value that looks like a flag is the next flag: this one's value is missing.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--") && token.value.length > 2)) {
      throw usage(`--${token.name} needs a value: ${spec.hint ?? "a value"}`);
    }
    const list = values.get(token.name);
    values.set(token.name, Array.isArray(list) ? [...list, token.value] : [token.value]);
  }
  return values;
}

/** Parses one text with a flag's rule, naming the environment variable when it came from there. */
function parseOne<T>(spec: FlagSpec<T>, name: string, text: string, fromEnv: boolean): T {
  try {
    return spec.parse(text, `--${name}`);
  } catch (error) {
    if (fromEnv && spec.env && error instanceof WikistreamError) throw new WikistreamError(error.type, `${error.message} (from ${spec.env})`);
    throw error;
  }
}

/** Flag values, and where each came from. */
export interface ResolvedFlags {
  /** The parsed value per flag name (a list for repeatable flags; undefined when absent without default). */
  values: Record<string, unknown>;
  /** The flags typed on the command line. */
  typed: ReadonlySet<string>;
  /** The flags set (not empty) in the environment. */
  fromEnv: ReadonlySet<string>;
}

/** Resolves every flag of `table` (flag beats environment beats default), saying where each came from. */
export function resolveFlagSources(rawArgs: readonly string[], env: Record<string, string | undefined>, table: Table): ResolvedFlags {
  const raw = readArgv(rawArgs, table);
  const values: Record<string, unknown> = {};
  const fromEnvNames = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    const given = raw.get(name);
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (fromEnv !== undefined && fromEnv !== "") fromEnvNames.add(name);
    if (spec.kind === "boolean") {
      values[name] = typeof given === "boolean" ? given : parseEnvBoolean(name, spec.env ?? "", fromEnv);
    } else if (spec.kind === "list") {
      const texts = Array.isArray(given) ? given : (fromEnv ?? "").split(spec.envSeparator ?? ",");
      values[name] = texts.map((t) => t.trim()).filter(Boolean).map((t) => parseOne(spec, name, t, !Array.isArray(given)));
    } else if (Array.isArray(given)) {
      values[name] = parseOne(spec, name, given[given.length - 1] ?? "", false);
    } else if (fromEnv !== undefined && fromEnv !== "") {
      values[name] = parseOne(spec, name, fromEnv, true);
    } else {
      values[name] = spec.default === undefined ? undefined : parseOne(spec, name, spec.default, false);
    }
  }
  return { values, typed: new Set(raw.keys()), fromEnv: fromEnvNames };
}

/**
 * Resolves every flag of `table`: flag beats environment beats default. Returns the parsed
 * value per flag name (a list for repeatable flags; undefined when absent without default).
 */
export function resolveFlags(rawArgs: readonly string[], env: Record<string, string | undefined>, table: Table): Record<string, unknown> {
  return resolveFlagSources(rawArgs, env, table).values;
}
