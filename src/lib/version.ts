import pkg from "../../package.json" with { type: "json" };

declare const WIKISTREAM_COMMIT: string | undefined;

/** The release version, from package.json (inlined by the bundler). */
export const VERSION: string = pkg.version;

/** The git commit the binary was built from; `dev` when running from source. */
export const COMMIT: string = typeof WIKISTREAM_COMMIT === "string" ? WIKISTREAM_COMMIT : "dev";

/** Where the project lives; named in the User-Agent as the service's policy asks. */
export const REPOSITORY_URL: string = pkg.repository;
