import { describe, expect, test } from "bun:test";
import { WikistreamError } from "../../../src/lib/error.ts";
import { classifyRedisError, describeFatalRedisError, describeRedisCause, type RedisErrorKind } from "../../../src/sink/redis/errors.ts";

/** An error as Redis replies it (ioredis's ReplyError). */
function reply(message: string): Error {
  const error = new Error(message);
  error.name = "ReplyError";
  return error;
}

/** A socket or TLS error: a message and a `code`. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const SHA = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";

/** A refused MULTI as ioredis rejects it: EXECABORT, with the queued commands' refusals. */
function execAbort(...previousErrors: Error[]): Error {
  return Object.assign(reply("EXECABORT Transaction discarded because of previous errors."), { previousErrors });
}

/** A reply error with the command it answers, as ioredis attaches it. */
function answering(error: Error, name: string, args: unknown[]): Error {
  return Object.assign(error, { command: { name, args } });
}

const rows: { name: string; error: unknown; kind: RedisErrorKind }[] = [
  { name: "WRONGPASS", error: reply("WRONGPASS invalid username-password pair or user is disabled."), kind: "auth" },
  { name: "NOAUTH", error: reply("NOAUTH Authentication required."), kind: "auth" },
  { name: "NOPERM (a command)", error: reply("NOPERM User app has no permissions to run the 'evalsha' command"), kind: "permission" },
  { name: "NOPERM (a key)", error: reply("NOPERM this user has no permissions to access one of the keys used as arguments"), kind: "permission" },
  { name: "EXECABORT after a NOPERM", error: execAbort(reply("NOPERM this user has no permissions to access one of the keys used as arguments")), kind: "permission" },
  { name: "EXECABORT after an OOM", error: execAbort(reply("OOM command not allowed when used memory > 'maxmemory'.")), kind: "oom" },
  { name: "old-style invalid password", error: reply("ERR invalid password"), kind: "auth" },
  { name: "READONLY", error: reply("READONLY You can't write against a read only replica."), kind: "readonly" },
  { name: "a certificate message", error: new Error("self-signed certificate in certificate chain"), kind: "tls" },
  { name: "a certificate code alone", error: coded("handshake failed", "SELF_SIGNED_CERT_IN_CHAIN"), kind: "tls" },
  { name: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", error: coded("unable to verify the first certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), kind: "tls" },
  { name: "an SSL routines error", error: coded("write EPROTO 0080:error:0A00010B:SSL routines:ssl3_get_record:wrong version number", "EPROTO"), kind: "tls" },
  { name: "DB index out of range", error: reply("ERR DB index is out of range"), kind: "db" },
  { name: "invalid DB index", error: reply("ERR invalid DB index"), kind: "db" },
  { name: "a protocol error (an HTTP server)", error: new Error('Protocol error, got "H" as reply type byte. Please report this.'), kind: "protocol" },
  { name: "OOM", error: reply("OOM command not allowed when used memory > 'maxmemory'."), kind: "oom" },
  { name: "OOM from a script", error: reply(`OOM command not allowed when used memory > 'maxmemory'. script: ${SHA}, on @user_script:10.`), kind: "oom" },
  { name: "LOADING", error: reply("LOADING Redis is loading the dataset in memory"), kind: "busy" },
  { name: "BUSY", error: reply("BUSY Redis is busy running a script."), kind: "busy" },
  { name: "MISCONF", error: reply("MISCONF Redis is configured to save RDB snapshots, but it's unable to persist to disk."), kind: "busy" },
  { name: "MASTERDOWN", error: reply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), kind: "busy" },
  { name: "TRYAGAIN", error: reply("TRYAGAIN Multiple keys request during rehashing of slot"), kind: "busy" },
  { name: "CLUSTERDOWN", error: reply("CLUSTERDOWN The cluster is down"), kind: "busy" },
  { name: "another server reply", error: reply("ERR unknown command 'EVALSHA'"), kind: "refused" },
  { name: "WRONGTYPE", error: reply("WRONGTYPE Operation against a key holding the wrong kind of value"), kind: "refused" },
  { name: "ECONNREFUSED", error: coded("connect ECONNREFUSED 127.0.0.1:6379", "ECONNREFUSED"), kind: "connection" },
  { name: "Connection is closed.", error: new Error("Connection is closed."), kind: "connection" },
  { name: "ECONNRESET", error: coded("read ECONNRESET", "ECONNRESET"), kind: "connection" },
  { name: "ETIMEDOUT", error: coded("connect ETIMEDOUT", "ETIMEDOUT"), kind: "connection" },
  { name: "the offline queue message", error: new Error("Stream isn't writeable and enableOfflineQueue options is false"), kind: "connection" },
  { name: "a plain Error that merely says ERR", error: new Error("ERR something"), kind: "connection" },
  { name: "a thrown string", error: "boom", kind: "connection" },
];

describe("classifyRedisError", () => {
  test.each(rows)("$name → $kind", ({ error, kind }) => {
    expect(classifyRedisError(error)).toBe(kind);
  });

  // A DNS failure's message holds the host name: a host named redis-tls.… or ssl-cache.… that
  // fails to resolve is a connection problem (retried), not a TLS one (fatal).
  test.each([
    { name: "ENOTFOUND for a host named …tls…", error: coded("getaddrinfo ENOTFOUND redis-tls.example.com", "ENOTFOUND") },
    { name: "EAI_AGAIN for a host named …ssl…", error: coded("getaddrinfo EAI_AGAIN ssl-cache.internal", "EAI_AGAIN") },
  ])("$name is a connection error", ({ error }) => {
    expect(classifyRedisError(error)).toBe("connection");
  });
});

describe("describeRedisCause", () => {
  test.each([
    { error: new Error("Stream isn't writeable and enableOfflineQueue options is false"), says: "not connected" },
    { error: new Error("Connection is closed."), says: "not connected" },
    { error: coded("connect ECONNREFUSED 127.0.0.1:6379", "ECONNREFUSED"), says: "connection refused" },
    { error: coded("connect ETIMEDOUT", "ETIMEDOUT"), says: "no answer to connect" },
    { error: coded("getaddrinfo ENOTFOUND nowhere.invalid", "ENOTFOUND"), says: "host not found" },
    { error: coded("getaddrinfo EAI_AGAIN nowhere.invalid", "EAI_AGAIN"), says: "host not found" },
    { error: reply(`OOM command not allowed when used memory > 'maxmemory'. script: ${SHA}, on @user_script:10.`), says: "OOM command not allowed when used memory > 'maxmemory'." },
    { error: reply(`ERR Error running script script: ${SHA}, on @user_script:3.`), says: "ERR Error running script" },
    { error: new Error('Protocol error, got "H" as reply type byte. Please report this.'), says: 'Protocol error, got "H" as reply type byte.' },
    { error: reply("NOAUTH Authentication required."), says: "NOAUTH Authentication required." },
    { error: new Error('Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.'), says: "the connection dropped before Redis answered" },
    { error: execAbort(reply("LOADING Redis is loading the dataset in memory")), says: "LOADING Redis is loading the dataset in memory" },
    { error: "a string", says: "a string" },
  ])("$says", ({ error, says }) => {
    expect(describeRedisCause(error)).toBe(says);
  });
});

describe("describeFatalRedisError", () => {
  const WHERE = "redis://127.0.0.1:6379";
  test.each([
    { kind: "auth", error: reply("WRONGPASS invalid username-password pair or user is disabled."), says: ["refused the credentials (WRONGPASS", "--redis-url or REDIS_URL"] },
    { kind: "readonly", error: reply("READONLY You can't write against a read only replica."), says: ["read-only replica", "point --redis-url at the primary"] },
    { kind: "tls", error: coded("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN"), says: ["TLS with Redis", "--redis-ca FILE"] },
    { kind: "protocol", error: new Error('Protocol error, got "H" as reply type byte. Please report this.'), says: ["does not answer like Redis", "check the host and port"] },
    { kind: "refused", error: reply("ERR unknown command 'EVALSHA'"), says: ["refused a write (ERR unknown command 'EVALSHA')", "nothing of it was applied"] },
  ])("$kind is fatal: one redis error naming where", ({ error, says }) => {
    const fatal = describeFatalRedisError(error, WHERE);
    expect(fatal).toBeInstanceOf(WikistreamError);
    expect(fatal?.type).toBe("redis");
    expect(fatal?.message).toContain(WHERE);
    for (const part of says) expect(fatal?.message).toContain(part);
    expect(fatal?.message).not.toContain("Please report this");
  });

  const KEYS_REFUSED = "NOPERM this user has no permissions to access one of the keys used as arguments";
  test.each([
    {
      name: "a script's key, with the prefix known",
      error: answering(reply(KEYS_REFUSED), "evalsha", [SHA, "2", "app:layout", "app:lock"]),
      where: "redis://app:***@127.0.0.1:6379",
      prefix: "app:",
      says: "Redis at redis://app:***@127.0.0.1:6379: user 'app' has no permission for key 'app:layout' (NOPERM): grant the prefix's keys (ACL SETUSER app '~app:*'), or use a --prefix this user may use",
    },
    {
      name: "a script's key, on the script's first run on a connection (ioredis sends its text)",
      error: answering(reply(KEYS_REFUSED), "eval", ["local A = {}", "2", "app:layout", "app:lock"]),
      where: "redis://app:***@127.0.0.1:6379",
      prefix: "app:",
      says: "Redis at redis://app:***@127.0.0.1:6379: user 'app' has no permission for key 'app:layout' (NOPERM): grant the prefix's keys (ACL SETUSER app '~app:*'), or use a --prefix this user may use",
    },
    {
      name: "a key inside a refused MULTI",
      error: execAbort(answering(reply(KEYS_REFUSED), "hget", ["w:layout", "window_ms"])),
      where: "redis://ro@127.0.0.1:6379",
      prefix: "w:",
      says: "Redis at redis://ro@127.0.0.1:6379: user 'ro' has no permission for key 'w:layout' (NOPERM): grant the prefix's keys (ACL SETUSER ro '~w:*'), or use a --prefix this user may use",
    },
    {
      name: "a command, for the default user",
      error: reply("NOPERM this user has no permissions to run the 'xadd' command"),
      where: WHERE,
      prefix: undefined,
      says: `Redis at ${WHERE}: user 'default' may not run XADD (NOPERM): grant it (ACL SETUSER default +xadd), or use a user that may`,
    },
    {
      name: "a script's text (ioredis's first run of it on a connection), asking for both script commands",
      error: reply("NOPERM User app has no permissions to run the 'eval' command"),
      where: "redis://app:***@127.0.0.1:6379",
      prefix: "app:",
      says: "Redis at redis://app:***@127.0.0.1:6379: user 'app' may not run EVAL (NOPERM), and wikistream's scripts need EVAL and EVALSHA: grant both (ACL SETUSER app +eval +evalsha), or use a user that may",
    },
    {
      name: "a script's SHA-1 (its later runs)",
      error: reply("NOPERM this user has no permissions to run the 'evalsha' command"),
      where: WHERE,
      prefix: undefined,
      says: `Redis at ${WHERE}: user 'default' may not run EVALSHA (NOPERM), and wikistream's scripts need EVAL and EVALSHA: grant both (ACL SETUSER default +eval +evalsha), or use a user that may`,
    },
    {
      name: "SELECT, naming the database",
      error: answering(reply("NOPERM this user has no permissions to run the 'select' command"), "select", ["2"]),
      where: "redis+sentinel://u%C3%A9:***@h:26379/m/2",
      prefix: undefined,
      says: "Redis at redis+sentinel://u%C3%A9:***@h:26379/m/2: user 'ué' may not run SELECT, which database 2 needs: grant it (ACL SETUSER ué +select), or use database 0",
    },
  ])("a missing permission is named, never as credentials: $name", ({ error, where, prefix, says }) => {
    expect(describeFatalRedisError(error, where, { prefix })?.message).toBe(says);
  });

  test.each([
    { kind: "db", error: reply("ERR DB index is out of range") },
    { kind: "oom", error: reply("OOM command not allowed when used memory > 'maxmemory'.") },
    { kind: "busy", error: reply("LOADING Redis is loading the dataset in memory") },
    { kind: "connection", error: coded("connect ECONNREFUSED 127.0.0.1:6379", "ECONNREFUSED") },
    { kind: "connection", error: new Error("Connection is closed.") },
  ])("$kind is not fatal here (undefined)", ({ kind, error }) => {
    expect(classifyRedisError(error)).toBe(kind as RedisErrorKind);
    expect(describeFatalRedisError(error, WHERE)).toBeUndefined();
  });
});
