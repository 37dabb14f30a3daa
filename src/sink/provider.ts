/** What a kind of sink is to the registry (registry.ts), and what a run hands the one it asks for. */
import type { Logger } from "../lib/log.ts";
import type { Sink, SinkObserver } from "../run/ports.ts";
import type { WindowView } from "../window/types.ts";
import type { RedisSinkOptions } from "./redis/options.ts";
import type { StdoutSinkOptions } from "./stdout.ts";

/** What a run hands the sink it asks for: each kind takes what it needs. */
export interface SinkRequest {
  /** Where windows go; undefined: they are printed. */
  url: string | undefined;
  log: Logger;
  /** Told of every write, error and wait (status line, metrics). */
  observer: SinkObserver;
  /** How a sink that prints prints. */
  print: Pick<StdoutSinkOptions, "format" | "color" | "write">;
  /** What a sink that stores needs besides its URL, the log and the observer. */
  store: Omit<RedisSinkOptions, "url" | "log" | "observer">;
}

/** One kind of sink, registered by the schemes of its URLs (registry.ts), one file each. */
export interface SinkProvider {
  /** The URL schemes it takes, without the colon (`redis`, `redis+cluster`). */
  schemes: readonly string[];
  /** It keeps windows and a saved position: its windows may expire (--retain) and a run resumes from it. */
  keepsState: boolean;
  /** Where windows go, as a message shows it (a password masked). */
  describe(url: string | undefined): string;
  /** Makes the sink; the modules it needs are loaded here, on first use, so --help and --version never pay for them. */
  create(request: SinkRequest): Promise<Sink>;
  /**
   * The newest `count` windows it holds, for the live page's past; absent where none are kept.
   * Rejects with the failure in words (a WikistreamError where it knows one).
   */
  readRecent?(from: RecentRequest, count: number): Promise<WindowView[]>;
}

/** Where {@link SinkProvider.readRecent} reads from. */
interface RecentRequest {
  url: string;
  prefix: string;
  /** PEM text of extra CAs for a TLS URL. */
  ca: string | undefined;
  log: Logger;
}
