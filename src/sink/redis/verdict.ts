/**
 * What happened when Redis's checkpoint is not the one this writer left (WRITE_SCRIPT's 'stale'
 * answer): Redis is behind it (a failover or a restart lost writes), ahead of it (another writer
 * wrote), the checkpoint is gone (flushed, evicted, or a restart without persistence), or this
 * writer's own last write landed and only its reply was lost. Each is a message and a metric label.
 */
import type { RedisClient } from "./client.ts";

/** The cause, as the `kind` label of wikistream_sink_errors_total. */
export type StaleVerdict = "redis_behind" | "redis_ahead" | "checkpoint_gone" | "reply_lost";

/** What the refused write expected and what the checkpoint held. */
export interface StaleFacts {
  /** The sequence number this writer left ("" before its first write). */
  ours: string;
  /** The one Redis holds ("" without a checkpoint). */
  found: string;
  /** The checkpoint's updated_ms in Redis. */
  foundUpdatedMs: string;
  /** The updated_ms of this writer's writes that got no answer since its last answered one. */
  unanswered: ReadonlySet<string>;
}

/** Judges a refused write; see the module comment. */
export function judgeStale(facts: StaleFacts): StaleVerdict {
  if (facts.found === "") return "checkpoint_gone";
  const ours = Number(facts.ours === "" ? "0" : facts.ours);
  const found = Number(facts.found);
  // Only this writer's own write carries its updated_ms, and it would have made exactly ours + 1.
  if (found === ours + 1 && facts.unanswered.has(facts.foundUpdatedMs)) return "reply_lost";
  // Anything not a lower number (another program's text too) is a write this writer did not make.
  return found < ours ? "redis_behind" : "redis_ahead";
}

/** What INFO says of the server, to tell a flush from an eviction from a restart. */
export interface ServerFacts {
  runId: string;
  evictedKeys: number;
  policy: string;
}

/** Reads {@link ServerFacts} from INFO; undefined where INFO is denied, renamed, or spans nodes (a Cluster). */
async function readServerFacts(client: RedisClient): Promise<ServerFacts | undefined> {
  if ("nodes" in client) return undefined;
  try {
    const info = await client.info();
    const field = (name: string) => new RegExp(`^${name}:(.*?)\\r?$`, "m").exec(info)?.[1];
    const runId = field("run_id");
    if (runId === undefined) return undefined;
    return { runId, evictedKeys: Number(field("evicted_keys") ?? 0), policy: field("maxmemory_policy") ?? "unknown" };
  } catch {
    return undefined;
  }
}

/** How the checkpoint went, from the server's facts when the run last saw it and now. */
function describeGone(before: ServerFacts | undefined, now: ServerFacts | undefined): string {
  if (before === undefined || now === undefined) return "flushed, evicted, or lost in a restart without persistence (INFO cannot tell which here)";
  if (now.runId !== before.runId) return "the server that answers now (restarted, or promoted by a failover) does not hold it: a restart without persistence, or a replica that had none of this prefix";
  const evicted = now.evictedKeys - before.evictedKeys;
  if (evicted > 0) return `evicted: Redis evicted ${evicted} keys under maxmemory-policy ${now.policy} since this run last looked; wikistream's keys need a policy that never evicts them (noeviction)`;
  return "flushed (FLUSHALL, FLUSHDB or a DEL: the server ran all along and evicted nothing)";
}

/** What the sink knows when it words a verdict. */
export interface VerdictContext {
  prefix: string;
  where: string;
  facts: StaleFacts;
  serverBefore?: ServerFacts;
  serverNow?: ServerFacts;
}

/** The one line for a verdict: why the run starts again, or, for a lost reply, that the writer carries on. */
export function describeVerdict(verdict: StaleVerdict, context: VerdictContext): string {
  const { prefix, where, facts } = context;
  const ours = facts.ours || "none";
  switch (verdict) {
    case "reply_lost":
      return `the answer to write ${facts.found} of prefix '${prefix}' was lost on the way back from Redis at ${where}, but the write landed (the checkpoint holds it): carrying on from it`;
    case "checkpoint_gone":
      return `the checkpoint of prefix '${prefix}' is gone from Redis at ${where} (this writer left write ${ours}), and what was written before it may be gone too: ${describeGone(context.serverBefore, context.serverNow)}; starting again without a saved position`;
    case "redis_ahead":
      return `Redis is ahead of this writer: it holds write ${facts.found} of prefix '${prefix}' where this writer left write ${ours}: another writer wrote to this prefix (one that took the lock while this one was paused or cut off, or a program that ignores it); starting again from the checkpoint it holds`;
    case "redis_behind":
      return `Redis is behind this writer: it holds write ${facts.found} of prefix '${prefix}' where this writer left write ${ours} (a failover or a restart lost the last writes): starting again from the checkpoint it holds`;
  }
}

/**
 * The writer's side of the sequence check: the number it left in the checkpoint, the writes that
 * got no answer since its last answered one (one may have landed), and the server it last saw.
 */
export class SequenceTracker {
  /** The write sequence number in the checkpoint as this writer left it ("" before its first). */
  seq = "";
  private readonly unanswered = new Set<string>();
  private server: ServerFacts | undefined;
  private serverDue = false;

  /** At open: the number the checkpoint holds, and the server as INFO tells it. */
  async open(client: RedisClient, seq: string): Promise<void> {
    this.seq = seq;
    this.server = await readServerFacts(client);
    this.serverDue = false;
  }

  /** The client connected again: the server may be another one; look again after the next write lands. */
  reconnected(): void {
    this.serverDue = true;
  }

  /** The number the next write leaves when it lands. */
  next(): string {
    return String(Number(this.seq || "0") + 1);
  }

  /** A write carrying this updated_ms got no answer (the connection broke): it may have landed. */
  unansweredWrite(updatedMs: number): void {
    this.unanswered.add(String(updatedMs));
  }

  /** A write landed, leaving `seq`. */
  landed(client: RedisClient, seq: string): void {
    this.seq = seq;
    this.unanswered.clear();
    if (!this.serverDue) return;
    this.serverDue = false;
    void readServerFacts(client).then((facts) => {
      this.server = facts;
    });
  }

  /** Judges a refused write and words it; after a lost reply the write counts as landed. */
  async judge(client: RedisClient, found: string, foundUpdatedMs: string, where: { prefix: string; where: string }): Promise<{ verdict: StaleVerdict; message: string }> {
    const facts: StaleFacts = { ours: this.seq, found, foundUpdatedMs, unanswered: this.unanswered };
    const verdict = judgeStale(facts);
    const serverNow = verdict === "checkpoint_gone" ? await readServerFacts(client) : undefined;
    const message = describeVerdict(verdict, { ...where, facts: { ...facts, unanswered: new Set() }, serverBefore: this.server, serverNow });
    if (verdict === "reply_lost") {
      this.seq = found;
      this.unanswered.clear();
    }
    return { verdict, message };
  }
}
