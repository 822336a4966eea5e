import { makeNode, type InterruptibleNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

type Part<In> = Workflow<In, any, any, any, any>
type Union<Parts extends ReadonlyArray<Part<any>>, Timeout> = Parts[number] | Exclude<Timeout, undefined>

/** Options of {@link interruptible}. */
export interface InterruptibleOptions<
  Body extends Part<any>,
  Parts extends ReadonlyArray<Part<any>>,
  Timeout extends Part<any> | undefined
> {
  readonly name: string
  /** Explicit stable id (journal and diagrams). Default: derived from `name`. */
  readonly id?: string
  readonly description?: string
  readonly body: Body
  /** Each starts with a `Workflow.awaitSignal`: that signal interrupts the body; the rest runs instead of it. */
  readonly interruptions?: Parts
  /** Starts with a `Workflow.sleep`, started when the section is entered: when it fires, it interrupts the body. */
  readonly timeout?: Timeout
}

/**
 * A section that a signal or a timeout cuts short. While `body` runs, the instance also accepts the signals the
 * `interruptions` start with, and the `timeout`'s timer runs from the moment the section is entered. When one of
 * them comes first, the body is abandoned — a step of it that is running has its fiber interrupted and its result
 * discarded — and the rest of that interruption runs, from the state the body had reached. If the body completes
 * first, the interruptions no longer apply. When a step's result and an interruption are due at the same time, the
 * interruption wins. BPMN: a subprocess with interrupting message / timer boundary events.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * declare const checks: Workflow<Order, Order>
 * declare const cancelled: Workflow<Order, Order> // Workflow.awaitSignal(Cancel, …) then compensation
 * const guarded = Workflow.interruptible({
 *   name: "Checks",
 *   body: checks,
 *   interruptions: [cancelled],
 *   timeout: Workflow.sleep({ name: "2 minutes", duration: "2 minutes" }).pipe(Workflow.andThen(markTimedOut))
 * })
 * ```
 */
export const interruptible = <
  Body extends Part<any>,
  const Parts extends ReadonlyArray<Part<Workflow.Input<Body>>> = readonly [],
  Timeout extends Part<Workflow.Input<Body>> | undefined = undefined
>(
  options: InterruptibleOptions<Body, Parts, Timeout>
): Workflow<
  Workflow.Input<Body>,
  Workflow.Output<Body | Union<Parts, Timeout>>,
  Workflow.Error<Body | Union<Parts, Timeout>>,
  Workflow.Services<Body | Union<Parts, Timeout>>,
  Workflow.States<Body | Union<Parts, Timeout>>
> =>
  fromNode(
    makeNode<InterruptibleNode>({
      _tag: "Interruptible",
      id: options.id,
      description: options.description,
      name: options.name,
      body: toNode(options.body),
      interruptions: (options.interruptions ?? []).map(toNode),
      timeout: options.timeout === undefined ? undefined : toNode(options.timeout)
    })
  )
