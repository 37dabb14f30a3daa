/** Where log lines go: stderr only, so stdout carries nothing but windows. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  readonly verbose: boolean;
  /** The last warning or error logged (also when --quiet hid it), for a final message that says why. */
  lastProblem(): string | undefined;
}

/** Options of createLogger. */
export interface LoggerOptions {
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  write?: (line: string) => void;
}

/** Creates a logger that writes one line per message to stderr, with a level prefix. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[39m` : text);
  const emit = (label: string, message: string) => write(`${label}${message.replace(/[\r\n]+/g, " ")}\n`);
  let problem: string | undefined;
  return {
    verbose: options.verbose === true,
    lastProblem: () => problem,
    error: (message) => {
      problem = message;
      emit(paint(31, "error: "), message);
    },
    warn: (message) => {
      problem = message;
      if (!options.quiet) emit(paint(33, "warn: "), message);
    },
    info: (message) => {
      if (!options.quiet) emit("", message);
    },
    debug: (message) => {
      if (options.verbose) emit(paint(90, "debug: "), message);
    },
  };
}

/** Whether to colour output: only on a terminal, and never when NO_COLOR is set to anything. */
export function resolveColor(isTTY: boolean, env: Record<string, string | undefined> = process.env): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb";
}
