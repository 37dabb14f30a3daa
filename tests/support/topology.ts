/**
 * Redis topologies on loopback for the stay-up tests: a master with a replica watched by three
 * sentinels (`redis-server CONF --sentinel`), and a 3-master, 3-replica cluster made with
 * `redis-cli --cluster create`. Each is started once per test file and shared by its cases.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./process.ts";
import { findFreeClusterPort, findFreePort, startRedis, type TestRedis } from "./redis.ts";

/** What redis-cli printed, and whether it exited 0. */
export function runRedisCli(port: number, args: string[]): { ok: boolean; out: string } {
  const result = Bun.spawnSync(["redis-cli", "-p", String(port), ...args], { stdout: "pipe", stderr: "pipe" });
  return { ok: result.exitCode === 0, out: `${result.stdout.toString()}${result.stderr.toString()}` };
}

/** A process started by a topology, with how to stop it. */
interface Child {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
}

/** A master, a replica and three sentinels that watch them as `mymaster`. */
export interface SentinelTopology {
  masterName: string;
  /** The data nodes, by port; which is master changes with failovers. */
  nodes: TestRedis[];
  sentinelPorts: number[];
  /** `redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/mymaster` */
  url: string;
  /** The port of the current master, as the sentinels say. */
  masterPort(): number;
  /** Waits until every sentinel knows a replica and the other sentinels (needed before a failover). */
  waitReady(): Promise<void>;
  stop(): Promise<void>;
}

const MASTER_NAME = "mymaster";

function startSentinel(dir: string, port: number, masterPort: number): Child {
  const conf = join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 4000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      "",
    ].join("\n"),
  );
  return { proc: Bun.spawn(["redis-server", conf, "--sentinel"], { stdout: "ignore", stderr: "ignore" }), port };
}

/** Starts the sentinel topology and waits until a failover could run. */
export async function startSentinelTopology(): Promise<SentinelTopology> {
  const dir = mkdtempSync(join(tmpdir(), "wikistream-sentinel-"));
  const master = await startRedis(["--appendonly", "no"]);
  const replica = await startRedis(["--replicaof", "127.0.0.1", String(master.port)]);
  const sentinels: Child[] = [];
  for (let i = 0; i < 3; i++) sentinels.push(startSentinel(dir, await findFreePort(), master.port));
  const ports = sentinels.map((s) => s.port);
  const ask = (args: string[]) => runRedisCli(ports[0] ?? 0, ["SENTINEL", ...args]).out;
  const topology: SentinelTopology = {
    masterName: MASTER_NAME,
    nodes: [master, replica],
    sentinelPorts: ports,
    url: `redis+sentinel://${ports.map((p) => `127.0.0.1:${p}`).join(",")}/${MASTER_NAME}`,
    masterPort: () => Number(ask(["get-master-addr-by-name", MASTER_NAME]).trim().split("\n")[1]),
    async waitReady() {
      // Sentinels learn of replicas from their INFO polls (every 10 s at first) and of each other
      // through hello messages: a failover before that would find no one to promote.
      await waitFor(
        () =>
          ports.every((p) => {
            const replicas = runRedisCli(p, ["SENTINEL", "REPLICAS", MASTER_NAME]).out;
            const others = runRedisCli(p, ["SENTINEL", "SENTINELS", MASTER_NAME]).out;
            return /flags\s+slave\b/.test(replicas) && !/s_down|o_down|disconnected/.test(replicas) && (others.match(/^name$/gm) ?? []).length === 2;
          }),
        30_000,
        "sentinels that know the replica and each other",
      );
    },
    async stop() {
      for (const s of sentinels) s.proc.kill("SIGKILL");
      await Promise.all(sentinels.map((s) => s.proc.exited));
      await Promise.all(topology.nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await topology.waitReady();
  return topology;
}

/** Six cluster nodes: three masters, each with one replica. */
export interface ClusterTopology {
  ports: number[];
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  url: string;
  /** The port of the master that serves `key`, and of its replica. */
  ownersOf(key: string): { master: number; replica: number };
  /** The port of the master that serves `key` (undefined while none does, in a failover). */
  masterOf(key: string): number | undefined;
  /** Waits until every node says cluster_state:ok and agrees on who serves the slots. */
  waitReady(): Promise<void>;
  stop(): Promise<void>;
}

interface NodeLine {
  id: string;
  port: number;
  master: string;
  flags: string;
  slots: string[];
}

function readNodes(port: number): NodeLine[] {
  return runRedisCli(port, ["CLUSTER", "NODES"])
    .out.trim()
    .split("\n")
    .map((line) => {
      const [id = "", address = "", flags = "", master = "", , , , , ...slots] = line.split(" ");
      return { id, port: Number(/:(\d+)@/.exec(address)?.[1]), flags, master, slots };
    });
}

/** The master that serves `slot`, as one node sees the cluster. */
function findMaster(nodes: NodeLine[], slot: number): NodeLine | undefined {
  return nodes.find(
    (n) =>
      n.flags.includes("master") &&
      n.slots.some((range) => {
        const [from = -1, to = from] = range.split("-").map(Number);
        return slot >= from && slot <= to;
      }),
  );
}

function slotOf(port: number, key: string): number {
  return Number(runRedisCli(port, ["CLUSTER", "KEYSLOT", key]).out.trim());
}

/** Starts six nodes and joins them with `redis-cli --cluster create … --cluster-replicas 1`. */
export async function startClusterTopology(): Promise<ClusterTopology> {
  const dir = mkdtempSync(join(tmpdir(), "wikistream-cluster-"));
  const ports: number[] = [];
  const children: Child[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await findFreeClusterPort();
    ports.push(port);
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`)];
    const extra = ["--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--dir", dir];
    children.push({ proc: Bun.spawn(["redis-server", ...args, ...extra], { stdout: "ignore", stderr: "ignore" }), port });
  }
  try {
    return await joinCluster(dir, ports, children);
  } catch (error) {
    for (const child of children) child.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Waits for the six nodes, joins them into three masters with a replica each, and waits for that to settle. */
async function joinCluster(dir: string, ports: number[], children: Child[]): Promise<ClusterTopology> {
  await waitFor(
    () => {
      const gone = children.find((c) => c.proc.exitCode !== null);
      if (gone) throw new Error(`the cluster node on port ${gone.port} exited (${gone.proc.exitCode}) before it answered`);
      return ports.every((p) => runRedisCli(p, ["PING"]).out.includes("PONG"));
    },
    30_000,
    "six nodes",
  );
  const created = runRedisCli(ports[0] ?? 0, ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "1", "--cluster-yes"]);
  if (!created.ok) throw new Error(`redis-cli --cluster create failed:\n${created.out}`);
  const topology: ClusterTopology = {
    ports,
    url: `redis+cluster://${ports.slice(0, 3).map((p) => `127.0.0.1:${p}`).join(",")}`,
    ownersOf(key) {
      const nodes = readNodes(ports[0] ?? 0);
      const master = findMaster(nodes, slotOf(ports[0] ?? 0, key));
      const replica = nodes.find((n) => n.master === master?.id);
      if (!master || !replica) throw new Error(`no master and replica for ${key}`);
      return { master: master.port, replica: replica.port };
    },
    masterOf(key) {
      return findMaster(readNodes(ports[0] ?? 0), slotOf(ports[0] ?? 0, key))?.port;
    },
    async waitReady() {
      // cluster_state:ok comes before every node has heard, by gossip, which replica follows
      // which master: ownersOf needs both, as each node sees them.
      const settled = (p: number) => {
        const nodes = readNodes(p);
        const masters = nodes.filter((n) => n.flags.includes("master"));
        const replicas = nodes.filter((n) => n.flags.includes("slave") && masters.some((m) => m.id === n.master));
        return masters.length === 3 && replicas.length === 3;
      };
      await waitFor(
        () => ports.every((p) => runRedisCli(p, ["CLUSTER", "INFO"]).out.includes("cluster_state:ok") && settled(p)),
        30_000,
        "cluster_state:ok on every node, each master with its replica",
      );
    },
    async stop() {
      for (const child of children) child.proc.kill("SIGKILL");
      await Promise.all(children.map((c) => c.proc.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await topology.waitReady();
  return topology;
}
