import { fail } from "./Failure.js"
import { makeNode, type PureNode } from "./Node.js"
import { type ErrorName, errorNames } from "./step.js"
import { fromNode, type Workflow } from "./Workflow.js"

/**
 * End this path with a typed failure computed from the state: the error reaches the enclosing `catch`, or fails the
 * instance. Unlike a pure transition that may return `Workflow.fail`, nothing can follow it (its output is `never`),
 * so diagrams draw it as an error end event throwing `errors` (the error classes or names it raises).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Workflow } from "durable-monad"
 *
 * class Rejected extends Schema.TaggedErrorClass<Rejected>()("Rejected", { message: Schema.String }) {}
 * const reject = Workflow.raise("Reject", (o: { reason: string }) => new Rejected({ message: o.reason }), {
 *   errors: [Rejected]
 * })
 * ```
 */
export const raise = <In, E>(
  name: string,
  error: (state: In) => E,
  options: {
    readonly errors: readonly [ErrorName, ...Array<ErrorName>]
    readonly id?: string
    readonly description?: string
  }
): Workflow<In, never, E, never, In> =>
  fromNode(
    makeNode<PureNode>({
      _tag: "Pure",
      // Untyped callers may leave the options out: diagrams then name the error after the node.
      id: options?.id,
      description: options?.description,
      name,
      errors: errorNames(options?.errors),
      f: (state) => fail(error(state as In)),
      raises: true
    })
  )
