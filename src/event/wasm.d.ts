/**
 * `import path from "./x.wasm" with { type: "file" }`: Bun gives the file's path, and
 * `bun build --compile` embeds the file in the executable (the path then points inside it).
 */
declare module "*.wasm" {
  const path: string;
  export default path;
}
