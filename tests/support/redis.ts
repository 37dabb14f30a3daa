import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { waitFor } from "./process.ts";

/** A port nobody listens on right now. */
export async function findFreePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/**
 * A free port for a cluster node: Redis Cluster also listens on port + 10000 (its bus) and refuses
 * a port over 55535, while the kernel hands out ports up to 60999; so both must be free and low.
 */
export async function findFreeClusterPort(): Promise<number> {
  for (;;) {
    const port = await findFreePort();
    if (port > 55_535) continue;
    try {
      const bus = Bun.listen({ hostname: "127.0.0.1", port: port + 10_000, socket: { data() {} } });
      bus.stop(true);
      return port;
    } catch {
      // the bus port is taken: try another
    }
  }
}

/** PEM files for a TLS redis-server: a CA, a server certificate it signed, and an unrelated CA. */
export interface TlsFiles {
  dir: string;
  /** The CA that signed the server certificate. */
  ca: string;
  cert: string;
  key: string;
  /** A CA that signed nothing the server presents. */
  otherCa: string;
}

/** A redis-server of the test's own, on a free port, that the test may kill and restart. */
export interface TestRedis {
  port: number;
  /** redis://127.0.0.1:port, or rediss:// when started with TLS. */
  url: string;
  dir: string;
  client: Redis;
  /** Keys and values of the whole db as plain data, for comparing two runs. */
  dump(prefix?: string): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again (after kill), with other extra arguments when given. */
  start(extraArgs?: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** Keys and values under `prefix` on one server, as plain data, for comparing two runs. */
export async function readPrefix(client: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys = (await client.keys(`${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`)).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await client.type(key);
    if (type === "zset") out[key] = await client.zrange(key, 0, -1, "WITHSCORES");
    else if (type === "set") out[key] = (await client.smembers(key)).sort();
    else if (type === "hash") out[key] = await client.hgetall(key);
    else if (type === "string") out[key] = await client.get(key);
    else out[key] = type;
  }
  return out;
}

/** Options of startRedis. */
export interface StartRedisOptions {
  port?: number;
  /** Serve TLS only (`--port 0 --tls-port P`), with these files; clients need not present a certificate. */
  tls?: TlsFiles;
}

/**
 * Starts `redis-server` with the given extra arguments and waits until it answers PING.
 * Defaults are no RDB and no AOF in a fresh --dir; extra arguments come last and win
 * (`--appendonly yes --appendfsync always` turns AOF on; `start()` after `kill()` reuses the dir).
 */
export async function startRedis(extraArgs: string[] = [], options: StartRedisOptions = {}): Promise<TestRedis> {
  const port = options.port ?? (await findFreePort());
  const dir = mkdtempSync(join(tmpdir(), "wikistream-redis-"));
  const tls = options.tls;
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const cliArgs = ["redis-cli", "-p", String(port), ...(tls ? ["--tls", "--cacert", tls.ca] : []), ...authArgs(extraArgs)];
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const start = async (args: string[] = extraArgs) => {
    const started = Bun.spawn(["redis-server", ...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...args], {
      stdout: "ignore",
      stderr: "ignore",
    });
    proc = started;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = Bun.spawnSync([...cliArgs, "ping"], { stderr: "ignore" });
      if (probe.stdout.toString().includes("PONG")) return;
      if (started.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on ${port} did not start (exit ${started.exitCode})`);
      await Bun.sleep(50);
    }
  };
  try {
    await start();
  } catch (error) {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const password = passwordOf(extraArgs);
  const client = new Redis({
    port,
    host: "127.0.0.1",
    password,
    tls: tls ? { ca: readFileSync(tls.ca, "utf8") } : undefined,
    lazyConnect: false,
    maxRetriesPerRequest: 50,
    retryStrategy: () => 100,
  });
  client.on("error", () => undefined);
  const handle: TestRedis = {
    port,
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
    dir,
    client,
    dump: (prefix = "") => readPrefix(client, prefix),
    async kill(signal = "SIGKILL") {
      proc?.kill(signal);
      await proc?.exited;
    },
    start,
    async stop() {
      client.disconnect();
      proc?.kill("SIGKILL");
      await proc?.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

function passwordOf(args: string[]): string | undefined {
  const i = args.indexOf("--requirepass");
  return i === -1 ? undefined : args[i + 1];
}

function authArgs(args: string[]): string[] {
  const password = passwordOf(args);
  return password === undefined ? [] : ["-a", password, "--no-auth-warning"];
}

/** The Redis content of a prefix without the bookkeeping keys that differ between equivalent runs (checkpoint, lock). */
export async function dumpWindows(redis: Pick<TestRedis, "dump">, prefix: string): Promise<Record<string, unknown>> {
  const all = await redis.dump(prefix);
  // Bookkeeping that differs between two runs with the same content (times, tokens); the
  // layout key has tests of its own (tests/system/edges).
  delete all[`${prefix}checkpoint`];
  delete all[`${prefix}lock`];
  delete all[`${prefix}layout`];
  return all;
}

/** The saved resume id of a prefix: null without a checkpoint, "" before the first one with an id. */
export async function readCheckpointId(redis: TestRedis, prefix: string): Promise<string | null> {
  return redis.client.hget(`${prefix}checkpoint`, "id");
}

/** Waits until the checkpoint of `prefix` holds a resume id other than `previous` (and not empty): the run saved a position of its own. */
export async function waitForNewCheckpoint(redis: TestRedis, prefix: string, previous: string | null, timeoutMs = 20_000): Promise<string> {
  let id: string | null = null;
  await waitFor(
    async () => {
      id = await readCheckpointId(redis, prefix);
      return id !== null && id !== "" && id !== previous;
    },
    timeoutMs,
    `a new checkpoint under '${prefix}'`,
  );
  return id ?? "";
}

/**
 * A field of `INFO` (any section) as a number, e.g. `total_connections_received` (stats) or
 * `errorstat_OOM` (errorstats, where it reads `count=N`); 0 when absent, as Redis lists no error
 * kind before its first occurrence.
 */
export async function readInfoNumber(redis: TestRedis, field: string, section = "everything"): Promise<number> {
  const info = await redis.client.info(section);
  const match = new RegExp(`^${field}:(?:count=)?(\\d+)`, "m").exec(info);
  return match ? Number(match[1]) : 0;
}

/**
 * Makes a CA, a server certificate for 127.0.0.1 and localhost signed by it, and a second,
 * unrelated CA, with `openssl` in a fresh temporary dir. Throws when openssl is missing or fails.
 */
export function createTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), "wikistream-tls-"));
  const path = (name: string) => join(dir, name);
  const openssl = (args: string[]) => {
    const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString().trim()}`);
  };
  const selfSigned = (name: string, subject: string) =>
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path(`${name}.key`), "-out", path(`${name}.pem`), "-days", "2", "-subj", subject]);
  selfSigned("ca", "/CN=wikistream test CA");
  selfSigned("other", "/CN=unrelated test CA");
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"]);
  writeFileSync(path("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext")]);
  return { dir, ca: path("ca.pem"), cert: path("server.pem"), key: path("server.key"), otherCa: path("other.pem") };
}

/** A key's content as bytes in a fixed order (hex), whatever order Redis keeps it in internally. */
async function readCanonical(client: Redis, key: Buffer): Promise<string> {
  const type = await client.type(key);
  const hex = (items: Buffer[]) => items.map((b) => b.toString("hex"));
  const pairs = (items: Buffer[]) => {
    const out: string[] = [];
    for (let i = 0; i + 1 < items.length; i += 2) out.push(`${items[i]?.toString("hex")}=${items[i + 1]?.toString("hex")}`);
    return out;
  };
  switch (type) {
    case "string":
      return `string ${(await client.getBuffer(key))?.toString("hex")}`;
    case "hash":
      return `hash ${pairs((await client.callBuffer("HGETALL", key)) as Buffer[]).sort().join(",")}`;
    case "zset":
      return `zset ${pairs(await client.zrangeBuffer(key, 0, -1, "WITHSCORES")).join(",")}`;
    case "set":
      return `set ${hex(await client.smembersBuffer(key)).sort().join(",")}`;
    case "list":
      return `list ${hex(await client.lrangeBuffer(key, 0, -1)).join(",")}`;
    default:
      return `${type} ${(await client.dumpBuffer(key))?.toString("hex")}`;
  }
}

/**
 * Every key of every database with its type, its content byte for byte and whether it expires,
 * for proving that a refused run wrote nothing anywhere. (DUMP is not used for hashes and sets:
 * a mere read may rehash them, which changes the order DUMP writes them in.)
 */
export async function dumpAllDatabases(redis: TestRedis): Promise<Record<string, string>> {
  const [, count] = (await redis.client.config("GET", "databases")) as [string, string];
  const out: Record<string, string> = {};
  const client = redis.client.duplicate();
  try {
    for (let db = 0; db < Number(count); db++) {
      await client.select(db);
      for (const key of (await client.keysBuffer("*")).sort(Buffer.compare)) {
        const ttl = await client.pttl(key);
        out[`${db}/${key.toString("hex")}`] = `${await readCanonical(client, key)} ttl:${ttl === -1 ? "none" : "set"}`;
      }
    }
  } finally {
    client.disconnect();
  }
  return out;
}
