import { type LoopNode, makeNode } from "./Node.js"
import { fromNode, toNode, type Workflow } from "./Workflow.js"

interface LoopOptions<A, B, E, R, S> {
  readonly name?: string
  readonly id?: string
  readonly description?: string
  /** What each round runs. */
  readonly body: Workflow<A, B, E, R, S>
  /** Label of the flow back to the start of the body (for diagrams). Default "repeat". */
  readonly repeat?: string
}

/**
 * Repeat `body` until the named `exit` condition holds on the state it produced. Without `restart`, the body's
 * output must fit its input; with it, `restart` takes the body's output back to the body's input before each new
 * round. A type-guard exit condition narrows the output.
 *
 * @example
 * ```ts
 * import { Workflow } from "durable-monad"
 *
 * const countdown = Workflow.loop({
 *   body: Workflow.pure("Tick", (n: number) => n - 1),
 *   exit: { name: "reached zero", when: (n) => n <= 0 }
 * })
 * ```
 */
export function loop<A, B extends A, E, R, S, X extends B>(
  options: LoopOptions<A, B, E, R, S> & {
    readonly exit: { readonly name: string; readonly when: (state: B) => state is X }
  }
): Workflow<A, X, E, R, A | S>
export function loop<A, B extends A, E, R, S>(
  options: LoopOptions<A, B, E, R, S> & {
    readonly exit: { readonly name: string; readonly when: (state: B) => boolean }
  }
): Workflow<A, B, E, R, A | S>
export function loop<A, B, E, R, S, X extends B, E2, R2, S2>(
  options: LoopOptions<A, B, E, R, S> & {
    readonly exit: { readonly name: string; readonly when: (state: B) => state is X }
    readonly restart: Workflow<B, A, E2, R2, S2>
  }
): Workflow<A, X, E | E2, R | R2, A | S | S2>
export function loop<A, B, E, R, S, E2, R2, S2>(
  options: LoopOptions<A, B, E, R, S> & {
    readonly exit: { readonly name: string; readonly when: (state: B) => boolean }
    readonly restart: Workflow<B, A, E2, R2, S2>
  }
): Workflow<A, B, E | E2, R | R2, A | S | S2>
export function loop(
  options: LoopOptions<unknown, unknown, unknown, unknown, unknown> & {
    readonly exit: { readonly name: string; readonly when: (state: unknown) => boolean }
    readonly restart?: Workflow.Any
  }
): Workflow.Any {
  return fromNode(
    makeNode<LoopNode>({
      _tag: "Loop",
      id: options.id,
      description: options.description,
      name: options.name,
      body: toNode(options.body),
      exit: options.exit,
      repeat: options.repeat ?? "repeat",
      restart: options.restart === undefined ? undefined : toNode(options.restart)
    })
  )
}
