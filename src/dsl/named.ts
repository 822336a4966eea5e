import { makeNode, type NamedNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

/**
 * Make a sub-workflow: the ids of the steps inside are prefixed with its name (so the same sub-workflow can be
 * embedded twice under different names), and diagrams draw it as a subprocess.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * const review = Workflow.pure("Check", (n: number) => n).pipe(Workflow.named("Review"))
 * ```
 */
export const named =
  (name: string, options?: { readonly id?: string; readonly description?: string }) =>
  <In, Out, E, R, S>(self: Workflow<In, Out, E, R, S>): Workflow<In, Out, E, R, S> =>
    fromNode(
      makeNode<NamedNode>({
        _tag: "Named",
        id: options?.id,
        description: options?.description,
        name,
        body: toNode(self)
      })
    )
