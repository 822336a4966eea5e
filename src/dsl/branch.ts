import type { BranchArm, BranchNode } from "./Node.js"
import { makeNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

const ArmTypes: unique symbol = Symbol.for("durable-monad/Arm")

/** One arm of a branch: a named condition on the state and the workflow that runs when it holds first. */
export interface Arm<in In, out Out, out E, out R, out S> {
  readonly [ArmTypes]: { readonly In: (_: In) => void; readonly Out: Out; readonly E: E; readonly R: R; readonly S: S }
  readonly arm: BranchArm
}

/**
 * An arm of {@link branch}. A type-guard condition narrows the state the arm's workflow receives.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * type Order = { total: number }
 * const big = Workflow.when("total > 1000", (o: Order) => o.total > 1000, Workflow.pure("Ask manager", (o: Order) => o))
 * ```
 */
export function when<In, N extends In, Out, E, R, S>(
  condition: string,
  test: (state: In) => state is N,
  then: Workflow<N, Out, E, R, S>
): Arm<In, Out, E, R, S>
export function when<In, Out, E, R, S>(
  condition: string,
  test: (state: In) => boolean,
  then: Workflow<In, Out, E, R, S>
): Arm<In, Out, E, R, S>
export function when(condition: string, test: (state: unknown) => boolean, then: Workflow.Any): Arm.Any {
  return { arm: { id: undefined, condition, when: test, body: toNode(then) } } as Arm.Any
}

export declare namespace Arm {
  export type Any = Arm<any, any, any, any, any>
  export type In<A> = A extends Arm<infer I, any, any, any, any> ? I : never
  export type Out<A> = A extends Arm<any, infer O, any, any, any> ? O : never
  export type E<A> = A extends Arm<any, any, infer X, any, any> ? X : never
  export type R<A> = A extends Arm<any, any, any, infer X, any> ? X : never
  export type S<A> = A extends Arm<any, any, any, any, infer X> ? X : never
}

/** The input every arm accepts: the intersection of the arms' inputs (each arm's own input may be a union). */
type ArmsIn<A> = (A extends Arm<infer I, any, any, any, any> ? (_: I) => void : never) extends (_: infer I) => void
  ? I
  : never

/** What a branch does with a state that matches no arm: pass it through, or run `otherwise`. */
type Rest<In, Otherwise> =
  Otherwise extends Workflow<any, infer O, infer E, infer R, infer S>
    ? { readonly Out: O; readonly E: E; readonly R: R; readonly S: S }
    : { readonly Out: In; readonly E: never; readonly R: never; readonly S: never }

/**
 * Choose a path: the first arm whose condition holds runs; if none does, `otherwise` runs, or — without it —
 * the state passes through unchanged (and stays part of the output type).
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * type Order = { total: number; approved?: boolean }
 * const route = Workflow.branch({
 *   name: "Order size?",
 *   arms: [
 *     Workflow.when("large", (o: Order) => o.total > 1000, Workflow.pure("Manual review", (o: Order) => ({ ...o, approved: false }))),
 *     Workflow.when("small", (o: Order) => o.total <= 10, Workflow.pure("Auto approve", (o: Order) => ({ ...o, approved: true })))
 *   ]
 * }) // Workflow<Order, Order, never, never, …>
 * ```
 */
export const branch = <
  const Arms extends ReadonlyArray<Arm.Any>,
  Otherwise extends Workflow<ArmsIn<Arms[number]>, any, any, any, any> | undefined = undefined
>(options: {
  readonly name?: string
  readonly id?: string
  readonly description?: string
  readonly arms: Arms
  readonly otherwise?: Otherwise
}): Workflow<
  ArmsIn<Arms[number]>,
  Arm.Out<Arms[number]> | Rest<ArmsIn<Arms[number]>, Otherwise>["Out"],
  Arm.E<Arms[number]> | Rest<unknown, Otherwise>["E"],
  Arm.R<Arms[number]> | Rest<unknown, Otherwise>["R"],
  | ArmsIn<Arms[number]>
  | Arm.S<Arms[number]>
  | Rest<ArmsIn<Arms[number]>, Otherwise>["Out"]
  | Rest<unknown, Otherwise>["S"]
> =>
  fromNode(
    makeNode<BranchNode>({
      _tag: "Branch",
      id: options.id,
      description: options.description,
      name: options.name,
      arms: options.arms.map((a) => a.arm),
      otherwise:
        options.otherwise === undefined
          ? undefined
          : { id: undefined, condition: "otherwise", when: () => true, body: toNode(options.otherwise) }
    })
  )
