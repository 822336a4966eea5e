import { type Effect, Schema } from "effect"
import type { ErrorOf, Next } from "./Failure.js"
import { makeNode, type StepNode } from "./Node.js"
import type { PlainCodec } from "./Signal.js"
import type { StepContext } from "./StepContext.js"
import { fromNode, type Workflow } from "./Workflow.js"

/** Something that names an error for diagrams: a string, or a class/schema with a `_tag` or a name. */
export type ErrorName = string | { readonly name: string }

export const errorNames = (errors: ReadonlyArray<ErrorName> | undefined): ReadonlyArray<string> =>
  (errors ?? []).map((e) => (typeof e === "string" ? e : e.name))

/** Options every named step accepts. */
export interface StepInfo {
  readonly name: string
  /** Explicit stable id (journal and diagrams). Default: derived from `name`. */
  readonly id?: string
  readonly description?: string
  /**
   * The typed errors the step may raise: for diagrams, and for a step's `run`, the errors that are business failures
   * (recorded and handed to `catch`, like `Workflow.fail` from `apply`) rather than technical ones (retried).
   */
  readonly errors?: ReadonlyArray<ErrorName>
}

/**
 * A step that runs an Effect and persists the event it produces. On replay only `apply` runs: the Effect of a
 * recorded step never runs again. If the Effect fails (or dies), nothing is persisted and the instance stays at
 * this step, to be retried — unless it fails with an error listed in `errors`: that is a business failure, recorded
 * and raised like `Workflow.fail` from `apply`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Workflow } from "durable-monad"
 *
 * class Shipped extends Schema.TaggedClass<Shipped>()("Shipped", { tracking: Schema.String }) {}
 * class Paid extends Schema.TaggedClass<Paid>()("Paid", { orderId: Schema.String }) {}
 *
 * const ship = Workflow.step({
 *   name: "Ship",
 *   event: Shipped,
 *   run: (paid: Paid, ctx) => Effect.succeed(new Shipped({ tracking: ctx.idempotencyKey })),
 *   apply: (paid, shipped) => ({ orderId: paid.orderId, tracking: shipped.tracking })
 * })
 * ```
 */
export const step = <In, Ev, Ret, R = never>(
  options: StepInfo & {
    /** The Schema of the persisted event (encoded to JSON in the journal). */
    readonly event: PlainCodec<Ev>
    readonly run: (state: In, context: StepContext) => Effect.Effect<Ev, unknown, R>
    /** The next state, or `Workflow.fail(error)`. Pure: it runs again on replay. */
    readonly apply: (state: In, event: Ev) => Ret
  }
): Workflow<In, Next<Ret>, ErrorOf<Ret>, R, In | Next<Ret>> =>
  fromNode(
    makeNode<StepNode>({
      _tag: "Step",
      id: options.id,
      description: options.description,
      name: options.name,
      errors: errorNames(options.errors),
      errorSchemas: (options.errors ?? []).filter((e): e is PlainCodec<unknown> & { readonly name: string } =>
        Schema.isSchema(e)
      ),
      event: options.event as PlainCodec<unknown>,
      run: options.run as StepNode["run"],
      apply: options.apply as StepNode["apply"],
      retry: undefined
    })
  )
