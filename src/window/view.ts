/**
 * A window as readers show it (the live page, `top`, `read`, `tail`, the feed): the counts the
 * windowing core hands out, and whether the window is known to miss events. Shared by run/,
 * sink/, serve/ and cli/, so it lives on the floor they all stand on.
 */
import type { WindowSnapshot } from "./types.ts";

/** One window as the page and `top` show it. */
export interface WindowView extends WindowSnapshot {
  incomplete: boolean;
}
