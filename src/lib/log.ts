/**
 * Where log lines go: stderr only, so stdout carries nothing but windows. As text (`warn: …`)
 * or, with --log-format json, one JSON object a line ({"level","msg","time"}) for journald and
 * log shippers. A status line on a terminal is cleared before each line and drawn again after
 * it (see `beforeLine` and `afterLine`).
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  readonly verbose: boolean;
  /** The last warning or error logged (also when --quiet hid it), for a final message that says why. */
  lastProblem(): string | undefined;
}

/** How log lines look. */
export type LogFormat = "text" | "json";

/** Options of createLogger. */
export interface LoggerOptions {
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  format?: LogFormat;
  write?: (line: string) => void;
  /** Called before each line is written (a status line clears itself). */
  beforeLine?: () => void;
  /** Called after each line is written (a status line comes back). */
  afterLine?: () => void;
  /** The time of a JSON line. */
  now?: () => number;
}

type Level = "error" | "warn" | "info" | "debug";

const LABELS: Record<Level, { text: string; color: number }> = {
  error: { text: "error: ", color: 31 },
  warn: { text: "warn: ", color: 33 },
  info: { text: "", color: 39 },
  debug: { text: "debug: ", color: 90 },
};

/** Creates a logger that writes one line per message to stderr. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;
  const paint = (code: number, text: string) => (options.color && text !== "" ? `\x1b[${code}m${text}\x1b[39m` : text);
  const emit = (level: Level, message: string) => {
    options.beforeLine?.();
    const msg = message.replace(/[\r\n]+/g, " ");
    if (options.format === "json") write(`${JSON.stringify({ level, msg, time: new Date(now()).toISOString() })}\n`);
    else write(`${paint(LABELS[level].color, LABELS[level].text)}${msg}\n`);
    options.afterLine?.();
  };
  let problem: string | undefined;
  return {
    verbose: options.verbose === true,
    lastProblem: () => problem,
    error: (message) => {
      problem = message;
      emit("error", message);
    },
    warn: (message) => {
      problem = message;
      if (!options.quiet) emit("warn", message);
    },
    info: (message) => {
      if (!options.quiet) emit("info", message);
    },
    debug: (message) => {
      if (options.verbose) emit("debug", message);
    },
  };
}

/** Whether to colour output: only on a terminal, and never when NO_COLOR is set to anything. */
export function resolveColor(isTTY: boolean, env: Record<string, string | undefined> = process.env): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb";
}
