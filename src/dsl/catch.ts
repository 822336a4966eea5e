import { type CatchNode, makeNode } from "./Node.js"
import { type Caught, fromNode, toNode, type Workflow } from "./Workflow.js"

const make = (
  self: Workflow.Any,
  handler: Workflow.Any,
  tags: ReadonlyArray<string> | undefined,
  name?: string
): Workflow.Any =>
  fromNode(
    makeNode<CatchNode>({
      _tag: "Catch",
      id: undefined,
      description: undefined,
      name,
      tags,
      body: toNode(self),
      handler: toNode(handler)
    })
  )

/**
 * Handle every typed error of a workflow: `handler` starts from `{ state, error }` — the last state before the
 * error and the error — and its output joins the normal output. The error channel becomes the handler's.
 *
 * @example
 * ```ts
 * import { Workflow, type Caught } from "durable-monad"
 *
 * class Oops { readonly _tag = "Oops" }
 * const risky = Workflow.pure("Risky", (n: number) => (n > 3 ? Workflow.fail(new Oops()) : n))
 * const safe = risky.pipe(
 *   Workflow.catch(Workflow.pure("Recover", (c: Caught<number, Oops>) => -c.state))
 * ) // Workflow<number, number, never, …>
 * ```
 */
export const catchAll =
  <HS, HE, C, E2, R2, S2>(handler: Workflow<Caught<HS, HE>, C, E2, R2, S2>, options?: { readonly name?: string }) =>
  <A, B, E1 extends HE, R1, S1 extends HS>(
    self: Workflow<A, B, E1, R1, S1>
  ): Workflow<A, B | C, E2, R1 | R2, S1 | S2> =>
    make(self, handler, undefined, options?.name)

/**
 * Handle only the errors whose `_tag` is one of `tags`; the others stay in the error channel.
 *
 * @example
 * ```ts
 * import { Workflow, type Caught } from "durable-monad"
 *
 * class A { readonly _tag = "A" }
 * class B { readonly _tag = "B" }
 * const risky = Workflow.pure("Risky", (n: number) => (n > 3 ? Workflow.fail(new A()) : n < 0 ? Workflow.fail(new B()) : n))
 * const partly = risky.pipe(Workflow.catchTag("A", Workflow.pure("Recover", (c: Caught<number, A>) => 0)))
 * // Workflow<number, number, B, …>
 * ```
 */
export const catchTag =
  <const Tag extends string, HS, HE, C, E2, R2, S2>(
    tags: Tag | ReadonlyArray<Tag>,
    handler: Workflow<Caught<HS, HE>, C, E2, R2, S2>,
    options?: { readonly name?: string }
  ) =>
  <A, B, E1 extends { readonly _tag: string }, R1, S1 extends HS>(
    self: Workflow<A, B, E1, R1, S1> & ([Extract<E1, { readonly _tag: Tag }>] extends [HE] ? unknown : never)
  ): Workflow<A, B | C, Exclude<E1, { readonly _tag: Tag }> | E2, R1 | R2, S1 | S2> =>
    make(self, handler, typeof tags === "string" ? [tags] : tags, options?.name)
