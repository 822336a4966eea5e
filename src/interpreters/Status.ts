import type { Position } from "./Machine.js"

/**
 * Where an instance stands.
 * - `Running`: the next thing to do is run step `step` (it has not completed yet: not run, or its Effect failed —
 *   `lastError` then says why, when this process saw it: the failure's message, e.g. "CI is down");
 * - `Waiting`: blocked on `signals` at step `step`;
 * - `Completed`; `Failed` with the typed error that no catch handled, raised by `step`.
 */
export type Status<E = unknown> =
  | { readonly _tag: "Running"; readonly step: string; readonly lastError?: string }
  | { readonly _tag: "Waiting"; readonly step: string; readonly signals: ReadonlyArray<string> }
  | { readonly _tag: "Completed" }
  | { readonly _tag: "Failed"; readonly step: string; readonly error: E }

export const statusOf = (position: Position): Status => {
  switch (position._tag) {
    case "Active":
      return position.node._tag === "AwaitSignal"
        ? { _tag: "Waiting", step: position.node.id!, signals: [position.node.signal.name] }
        : { _tag: "Running", step: position.node.id! }
    case "Completed":
      return { _tag: "Completed" }
    case "Failed":
      return { _tag: "Failed", step: position.node, error: position.error }
  }
}
