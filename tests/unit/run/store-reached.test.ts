/**
 * Telemetry.storeReached: what reads the store on its own (the live page's past) waits until the
 * run has reached it, so that a store the run cannot use is said once, by the run.
 */
import { describe, expect, test } from "bun:test";
import { Telemetry } from "../../../src/run/telemetry.ts";

/** Whether `promise` has settled by the time queued callbacks have run. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await Bun.sleep(0);
  return done;
}

describe("Telemetry.storeReached", () => {
  test("pending while the sink waits for Redis or fails; resolved once it opens", async () => {
    const telemetry = new Telemetry();
    telemetry.sinkObserver.onWaiting(true);
    telemetry.sinkObserver.onError("connection");
    telemetry.sinkObserver.onWaiting(false);
    expect(await settled(telemetry.storeReached)).toBe(false);
    telemetry.onStoreReached();
    expect(await settled(telemetry.storeReached)).toBe(true);
  });

  test("resolved by standing by for the lock: the sink has read the lock in the store", async () => {
    const telemetry = new Telemetry();
    telemetry.sinkObserver.onStandby?.(false);
    expect(await settled(telemetry.storeReached)).toBe(false);
    telemetry.sinkObserver.onStandby?.(true);
    expect(await settled(telemetry.storeReached)).toBe(true);
  });
});
