/**
 * Where windows go, asked by URL: each kind of sink is registered by the schemes of its URLs,
 * one file each (like unjs/giget's providers), and loads its modules only when a run asks for it;
 * no URL prints them (stdout.ts). A new store is one provider file and one row below.
 */
import { WikistreamError } from "../lib/error.ts";
import type { SinkProvider } from "./provider.ts";
import { REDIS_PROVIDER } from "./redis/provider.ts";
import { createStdoutSink } from "./stdout.ts";

/** No URL: windows are printed, as a table on a terminal or as JSON lines. */
const STDOUT_PROVIDER: SinkProvider = {
  schemes: [],
  keepsState: false,
  describe: () => "stdout",
  create: async (request) => createStdoutSink({ ...request.print, observer: request.observer }),
};

/** Every provider that takes a URL. */
const PROVIDERS: readonly SinkProvider[] = [REDIS_PROVIDER];

const BY_SCHEME = new Map(PROVIDERS.flatMap((provider) => provider.schemes.map((scheme) => [scheme, provider] as const)));

/** The sink for `url` (stdout without one); a scheme no sink takes is a usage error that lists those there are. */
export function findSinkProvider(url: string | undefined): SinkProvider {
  if (url === undefined) return STDOUT_PROVIDER;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? "";
  const provider = BY_SCHEME.get(scheme);
  if (provider !== undefined) return provider;
  throw new WikistreamError("usage", `no sink takes '${scheme}:' URLs: use ${[...BY_SCHEME.keys()].map((s) => `${s}://`).join(", ")}, or none to print windows`);
}
