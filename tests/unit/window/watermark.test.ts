import { describe, expect, test } from "bun:test";
import { StreamClock, WATERMARK_RANK } from "../../../src/window/watermark.ts";
import { createStreamClock } from "../../support/corpus.ts";
import { createRandom } from "../../support/random.ts";

describe("StreamClock", () => {
  test("one event far ahead, or seven, do not move it; the eighth does", () => {
    const clock = new StreamClock();
    for (let i = 0; i < 20; i++) clock.advance(1000 + i);
    expect(clock.timeMs).toBe(1012);
    // Each ahead one makes the next of the bulk's newest the eighth: never past the bulk's newest.
    for (let i = 1; i < WATERMARK_RANK; i++) expect(clock.advance(900_000)).toBe(1012 + i);
    expect(clock.advance(900_000)).toBe(900_000);
  });

  test("unknown before eight events; never moves back", () => {
    const clock = new StreamClock();
    for (let i = 1; i < WATERMARK_RANK; i++) expect(clock.advance(5000)).toBe(Number.NEGATIVE_INFINITY);
    expect(clock.advance(5000)).toBe(5000);
    for (let i = 0; i < 100; i++) expect(clock.advance(10)).toBe(5000);
  });

  for (let seed = 1; seed <= 50; seed++) {
    test(`seed ${seed}: equals the plain rule (sort the last 64), and a save restored mid-way goes on the same`, () => {
      const random = createRandom(seed);
      const plain = createStreamClock();
      let clock = new StreamClock();
      let t = 1_000_000;
      for (let i = 0; i < 2000; i++) {
        t += Math.floor(random() * 100);
        const r = random();
        // Mostly in order; some behind; a few far ahead; ties.
        const time = r < 0.2 ? t - Math.floor(random() * 50_000) : r < 0.23 ? t + Math.floor(random() * 600_000) : r < 0.3 ? t : t + Math.floor(random() * 10);
        expect(clock.advance(time)).toBe(plain(time));
        if (random() < 0.01) clock = new StreamClock(clock.save());
      }
    });
  }
});
