import { dual } from "effect/Function"
import { makeNode, type SequenceNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

/**
 * Run `self`, then `next` from the state `self` completed with. The compiler checks that the output of `self`
 * fits the input of `next`.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * const double = Workflow.pure("Double", (n: number) => n * 2)
 * const show = Workflow.pure("Show", (n: number) => `n = ${n}`)
 * const both = double.pipe(Workflow.andThen(show)) // Workflow<number, string, …>
 * ```
 */
export const andThen: {
  <B, C, E2, R2, S2>(
    next: Workflow<B, C, E2, R2, S2>
  ): <A, E1, R1, S1>(self: Workflow<A, B, E1, R1, S1>) => Workflow<A, C, E1 | E2, R1 | R2, S1 | S2>
  <A, B, E1, R1, S1, C, E2, R2, S2>(
    self: Workflow<A, B, E1, R1, S1>,
    next: Workflow<B, C, E2, R2, S2>
  ): Workflow<A, C, E1 | E2, R1 | R2, S1 | S2>
} = dual(2, (self: Workflow.Any, next: Workflow.Any) =>
  fromNode(
    makeNode<SequenceNode>({
      _tag: "Sequence",
      id: undefined,
      description: undefined,
      first: toNode(self),
      second: toNode(next)
    })
  )
)
