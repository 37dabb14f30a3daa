/**
 * What each part of the watch server hands to it: its routes and what to stop at the end. Apart
 * from server.ts so that the parts (health, metrics, the live page) and the server that gathers
 * them import this, not each other: serve/ has no import circle.
 */

/** A route value as Bun.serve takes it: a fixed response, an HTML import, or a handler. */
export type RouteValue = Response | Bun.HTMLBundle | ((request: Request) => Response | Promise<Response>);

/** Routes another module adds (the live page and its event stream), with what to stop at the end. */
export interface RouteSet {
  routes: Record<string, RouteValue>;
  close(): void;
}
