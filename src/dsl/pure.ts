import type { ErrorOf, Next } from "./Failure.js"
import { makeNode, type PureNode } from "./Node.js"
import { type ErrorName, errorNames } from "./step.js"
import { fromNode, type Workflow } from "./Workflow.js"

/**
 * A pure transition of the state: nothing is persisted, it is recomputed on replay, so it must be deterministic.
 * A named one is drawn in diagrams; an anonymous one (just a function) is invisible glue.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * const total = Workflow.pure("Compute total", (o: { items: ReadonlyArray<number> }) => ({
 *   ...o,
 *   total: o.items.reduce((a, b) => a + b, 0)
 * }))
 * const glue = Workflow.pure((o: { total: number }) => o.total)
 * ```
 */
export function pure<In, Ret>(f: (state: In) => Ret): Workflow<In, Next<Ret>, ErrorOf<Ret>, never, In | Next<Ret>>
export function pure<In, Ret>(
  name: string,
  f: (state: In) => Ret,
  options?: { readonly id?: string; readonly description?: string; readonly errors?: ReadonlyArray<ErrorName> }
): Workflow<In, Next<Ret>, ErrorOf<Ret>, never, In | Next<Ret>>
export function pure(
  nameOrF: string | ((state: unknown) => unknown),
  maybeF?: (state: unknown) => unknown,
  options?: { readonly id?: string; readonly description?: string; readonly errors?: ReadonlyArray<ErrorName> }
): Workflow.Any {
  const named = typeof nameOrF === "string"
  return fromNode(
    makeNode<PureNode>({
      _tag: "Pure",
      id: options?.id,
      description: options?.description,
      name: named ? nameOrF : undefined,
      errors: errorNames(options?.errors),
      f: named ? maybeF! : nameOrF,
      raises: false
    })
  )
}
