import { type EndNode, makeNode } from "./Node.js"
import { fromNode, type Workflow } from "./Workflow.js"

/**
 * End the whole instance here, completed with the current state: nothing after it runs, not even the rest of
 * an enclosing loop or sequence. Its output type is `never`, so the compiler knows nothing follows.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * const route = Workflow.branch({
 *   arms: [Workflow.when("cancelled", (o: { cancelled: boolean }) => o.cancelled, Workflow.end("Cancelled"))]
 * })
 * ```
 */
export const end = (
  name = "End",
  options?: { readonly id?: string; readonly description?: string }
): Workflow<unknown, never, never, never, never> =>
  fromNode(makeNode<EndNode>({ _tag: "End", id: options?.id, description: options?.description, name }))
