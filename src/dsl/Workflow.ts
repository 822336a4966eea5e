import type { Pipeable } from "effect/Pipeable"
import { andThen } from "./andThen.js"
import { awaitSignal } from "./awaitSignal.js"
import { branch, when } from "./branch.js"
import { catchAll, catchTag } from "./catch.js"
import { define, isDefinition } from "./Definition.js"
import { end } from "./end.js"
import { fail } from "./Failure.js"
import { loop } from "./loop.js"
import { isNode, type Node } from "./Node.js"
import { named } from "./named.js"
import { pure } from "./pure.js"
import { raise } from "./raise.js"
import { interruptible } from "./interruptible.js"
import { race } from "./race.js"
import { retry } from "./retry.js"
import { sleep } from "./sleep.js"
import { step } from "./step.js"

declare const WorkflowTypes: unique symbol

/**
 * A durable workflow as an immutable value. Building one runs nothing; interpreters give it meaning (the runtime
 * runs it against an event store, replay folds a recorded history through it, renderers draw it).
 *
 * - `In`: the state it starts from; `Out`: the state it completes with.
 * - `E`: the typed errors it can fail with (raised by `Workflow.fail` in `apply` or a pure transition).
 * - `R`: the services its step Effects need, provided as Layers when running.
 * - `S`: every state an instance can be in while running it (what `state` of a live instance can be, and what
 *   a catch handler receives as the last state). Inferred; annotate it as `unknown` if you must write the type.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Workflow } from "durable-monad"
 *
 * class Charged extends Schema.TaggedClass<Charged>()("Charged", { amount: Schema.Number }) {}
 *
 * const charge = Workflow.step({
 *   name: "Charge card",
 *   event: Charged,
 *   run: (order: { total: number }) => Effect.succeed(new Charged({ amount: order.total })),
 *   apply: (order, charged) => ({ ...order, paid: charged.amount })
 * })
 * ```
 */
export interface Workflow<in In, out Out, out E = never, out R = never, out S = unknown> extends Pipeable {
  readonly _tag: Node["_tag"]
  readonly [WorkflowTypes]?: {
    readonly In: (_: In) => void
    readonly Out: Out
    readonly E: E
    readonly R: R
    readonly S: S
  }
}

/** Type-level helpers. */
export declare namespace Workflow {
  /** Any workflow. */
  export type Any = Workflow<any, any, any, any, any>
  export type Input<W> = W extends Workflow<infer In, any, any, any, any> ? In : never
  export type Output<W> = W extends Workflow<any, infer Out, any, any, any> ? Out : never
  export type Error<W> = W extends Workflow<any, any, infer E, any, any> ? E : never
  export type Services<W> = W extends Workflow<any, any, any, infer R, any> ? R : never
  export type States<W> = W extends Workflow<any, any, any, any, infer S> ? S : never
  /** What a catch handler of `W` receives. */
  export type CaughtOf<W> = Caught<States<W>, Error<W>>
}

/** The input of a catch handler: the last state before the error, and the error. */
export interface Caught<out S, out E> {
  readonly state: S
  readonly error: E
}

/** Whether a value is a workflow (for tools that load workflows from modules, like the CLI). */
export const isWorkflow = (u: unknown): u is Workflow.Any => isNode(u)

/** The node behind a workflow value (every `Workflow` is one of the `Node` objects). */
export const toNode = (workflow: Workflow.Any): Node => workflow as unknown as Node

/** @internal the typed face of a node, used by the constructors. */
export const fromNode = <In, Out, E, R, S>(node: Node): Workflow<In, Out, E, R, S> =>
  node as unknown as Workflow<In, Out, E, R, S>

/**
 * The constructors and combinators of workflows.
 *
 * - `step` runs an Effect and persists its event; `awaitSignal` waits for a typed signal;
 *   `pure` is a pure transition; `end` ends the instance; `raise` ends a path with a typed error;
 *   `sleep` is a durable timer;
 *   `retry` gives a step a durable retry policy (a `Schedule`);
 *   `race` waits for the first of several signals, optionally with a deadline;
 *   `interruptible` is a section a signal or a timeout cuts short;
 * - `andThen` sequences; `catch`/`catchTag` handle typed errors; `branch` (+ `when`) chooses; `loop` repeats;
 * - `named` makes a sub-workflow; `define` names a top-level workflow and its input Schema for the runtime;
 * - `fail` is a typed failure, returned from `apply` or a pure transition;
 * - `isWorkflow` / `isDefinition` recognise workflow values (e.g. exports of a module).
 */
export const Workflow = {
  step,
  awaitSignal,
  pure,
  end,
  raise,
  sleep,
  retry,
  race,
  interruptible,
  andThen,
  catch: catchAll,
  catchTag,
  branch,
  when,
  loop,
  named,
  define,
  fail,
  isWorkflow,
  isDefinition
} as const
