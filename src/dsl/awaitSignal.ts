import type { Effect } from "effect"
import type { ErrorOf, Next } from "./Failure.js"
import { type AwaitSignalNode, makeNode } from "./Node.js"
import type { PlainCodec, Signal } from "./Signal.js"
import type { StepContext } from "./StepContext.js"
import { errorNames, type StepInfo } from "./step.js"
import { fromNode, type Workflow } from "./Workflow.js"

type Respond<In, Ev, Req, Res> = (state: In, event: Ev, request: Req) => Res

/**
 * Wait for a typed signal. When it arrives, `handle` turns (state, request) into an event — purely, or with an
 * Effect — which is persisted; `apply` folds it into the next state (or a `Workflow.fail`); `respond` computes
 * the reply from the state before the signal, the event and the request (optional when the response is void).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Signal, Workflow } from "durable-monad"
 *
 * const Approve = Signal.make("Approve", { request: Schema.Struct({ by: Schema.String }), response: Schema.String })
 * class Approved extends Schema.TaggedClass<Approved>()("Approved", { by: Schema.String }) {}
 *
 * const approval = Workflow.awaitSignal(Approve, {
 *   name: "Wait for approval",
 *   event: Approved,
 *   handle: (_: { id: string }, request) => new Approved({ by: request.by }),
 *   apply: (state, approved) => ({ ...state, approvedBy: approved.by }),
 *   respond: (state) => `approved ${state.id}`
 * })
 * ```
 */
export const awaitSignal = <Name extends string, Req, Res, In, Ev, Ret, R = never>(
  signal: Signal<Name, Req, Res>,
  options: StepInfo & {
    readonly event: PlainCodec<Ev>
    readonly handle: (state: In, request: Req, context: StepContext) => Ev | Effect.Effect<Ev, unknown, R>
    /** The next state, or `Workflow.fail(error)`. Pure: it runs again on replay. */
    readonly apply: (state: In, event: Ev) => Ret
    // biome-ignore lint/suspicious/noConfusingVoidType: a void response (Schema.Void) makes `respond` optional
  } & (void extends Res
      ? { readonly respond?: Respond<In, Ev, Req, Res> }
      : { readonly respond: Respond<In, Ev, Req, Res> })
): Workflow<In, Next<Ret>, ErrorOf<Ret>, R, In | Next<Ret>> =>
  fromNode(
    makeNode<AwaitSignalNode>({
      _tag: "AwaitSignal",
      id: options.id,
      description: options.description,
      name: options.name,
      signal,
      errors: errorNames(options.errors),
      event: options.event as PlainCodec<unknown>,
      handle: options.handle as AwaitSignalNode["handle"],
      apply: options.apply as AwaitSignalNode["apply"],
      respond: (options.respond ?? (() => undefined)) as AwaitSignalNode["respond"]
    })
  )
