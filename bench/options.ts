/** The benchmark's command line (see the top of bench/run.ts). */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_VARIANTS, findVariant, type Variant } from "./variants.ts";

/** What to run, from the command line. */
export interface BenchOptions {
  quick: boolean;
  runs: number;
  events: number;
  longEvents: number;
  liveSeconds: number;
  liveRate: number;
  rate: number;
  build: boolean;
  /** Builds of the same source with another tuning, run beside (b) in every round. */
  variants: Variant[];
  /** Whether the first variant also gets the long run. */
  longVariants: boolean;
  /** Whether to run the live test again with --listen and the page open, and scrape /metrics. */
  watch: boolean;
  /** A git ref whose build runs beside (b) in every round (bench/baseline.ts); undefined: none. */
  baseline: string | undefined;
}

const NUMBER_FLAGS = ["runs", "events", "long-events", "live-seconds", "live-rate", "rate"] as const;

function readNumber(values: Record<string, unknown>, flag: (typeof NUMBER_FLAGS)[number], fallback: number): number {
  const text = values[flag];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${flag} needs a positive number`);
  return value;
}

function parseArgsOrExplain<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; see the top of bench/run.ts`);
  }
}

/** Reads the benchmark's flags; --quick changes the defaults, explicit flags win. Throws on unknown flags or variants. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const numberOptions = Object.fromEntries(NUMBER_FLAGS.map((flag) => [flag, { type: "string" as const }]));
  const { values } = parseArgsOrExplain({
    args: [...argv],
    options: {
      ...numberOptions,
      quick: { type: "boolean", default: false },
      build: { type: "boolean", default: false },
      variant: { type: "string", multiple: true },
      "no-variants": { type: "boolean", default: false },
      "long-variants": { type: "boolean", default: false },
      "no-watch": { type: "boolean", default: false },
      baseline: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick === true;
  const named = (values.variant as string[] | undefined) ?? [];
  if (values["no-variants"] && named.length > 0) throw new Error("--variant and --no-variants exclude each other");
  const names = values["no-variants"] ? [] : named.length > 0 ? [...new Set(named)] : DEFAULT_VARIANTS;
  const variants = names.map(findVariant);
  if (values["long-variants"] && variants.length === 0) throw new Error("--long-variants needs a variant");
  return {
    quick,
    runs: readNumber(values, "runs", quick ? 2 : 5),
    events: readNumber(values, "events", 200_000),
    longEvents: readNumber(values, "long-events", quick ? 1_000_000 : 2_000_000),
    liveSeconds: readNumber(values, "live-seconds", quick ? 10 : 60),
    liveRate: readNumber(values, "live-rate", 100),
    rate: readNumber(values, "rate", 50),
    build: values.build === true,
    variants,
    longVariants: values["long-variants"] === true,
    watch: values["no-watch"] !== true,
    baseline: values.baseline,
  };
}
