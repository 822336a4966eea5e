/**
 * The small-step machine behind both the runtime and replay: where an instance is, as data.
 *
 * A position is the current state plus either the node that waits for an event (a step or a signal) and a stack
 * of what follows, or an outcome (completed / failed). `start` and `feed` are pure: they evaluate every pure
 * node (transitions, branch conditions, loop exits) until the next node that needs an event. Because positions
 * are immutable and the stack is a persistent list, the runtime keeps the latest position of each instance and
 * moves it forward one event at a time instead of replaying the whole journal on every call.
 *
 * User functions (apply, conditions, pure transitions) may throw; that propagates to the caller, which knows
 * the context (stream, revision) to report it with.
 */
import { isFailure } from "../dsl/Failure.js"
import type { AwaitSignalNode, CatchNode, LoopNode, NamedNode, Node, StepNode } from "../dsl/Node.js"

type Frame =
  | { readonly _tag: "Then"; readonly node: Node }
  | { readonly _tag: "Loop"; readonly node: LoopNode }
  | { readonly _tag: "Restart"; readonly node: LoopNode }
  | { readonly _tag: "Catch"; readonly node: CatchNode }
  | { readonly _tag: "Scope"; readonly node: NamedNode }

type Stack = { readonly frame: Frame; readonly rest: Stack } | undefined

/** The instance waits for an event of `node`: the result of running a step, or of handling a signal. */
export interface Active {
  readonly _tag: "Active"
  readonly state: unknown
  readonly node: StepNode | AwaitSignalNode
  readonly stack: Stack
}

export interface Completed {
  readonly _tag: "Completed"
  readonly state: unknown
}

export interface Failed {
  readonly _tag: "Failed"
  /** The last state before the error. */
  readonly state: unknown
  readonly error: unknown
  /** Id of the node that raised the error. */
  readonly node: string
}

export type Position = Active | Completed | Failed

/** Receives what the machine passes through, for progress and audit. */
export interface Trace {
  /** A node (or branch arm) completed, or was passed (gateways). */
  readonly done: (id: string) => void
  /** A node raised a typed error (caught or not). */
  readonly failed: (id: string) => void
}

/** A pure part of the workflow (a loop without steps, say) went on for too long without needing an event. */
export class NonTerminating extends Error {
  override readonly name = "NonTerminating"
}

/** Transitions allowed between two events before we call it an endless loop. */
const BUDGET = 1_000_000

const push = (frame: Frame, rest: Stack): Stack => ({ frame, rest })

const catches = (node: CatchNode, error: unknown): boolean =>
  node.tags === undefined ||
  (typeof error === "object" &&
    error !== null &&
    typeof (error as { _tag?: unknown })._tag === "string" &&
    node.tags.includes((error as { _tag: string })._tag))

/**
 * Run pure nodes from `node` (entered with `state`) or — when `node` is undefined — from the top of `stack`
 * (a node just completed with `state`), until something needs an event or the instance is done.
 */
const run = (node: Node | undefined, state: unknown, stack: Stack, trace: Trace | undefined): Position => {
  let focus = node
  for (let budget = BUDGET; budget > 0; budget--) {
    if (focus === undefined) {
      // Ascend: the innermost pending frame decides what happens with `state`.
      if (stack === undefined) return { _tag: "Completed", state }
      const frame = stack.frame
      stack = stack.rest
      switch (frame._tag) {
        case "Then":
          focus = frame.node
          break
        case "Catch":
        case "Scope":
          trace?.done(frame.node.id!)
          break
        case "Loop":
          if (frame.node.exit.when(state)) {
            trace?.done(frame.node.id!)
          } else if (frame.node.restart !== undefined) {
            stack = push({ _tag: "Restart", node: frame.node }, stack)
            focus = frame.node.restart
          } else {
            stack = push(frame, stack)
            focus = frame.node.body
          }
          break
        case "Restart":
          stack = push({ _tag: "Loop", node: frame.node }, stack)
          focus = frame.node.body
          break
      }
      continue
    }
    // Descend into `focus`.
    switch (focus._tag) {
      case "Step":
      case "AwaitSignal":
        return { _tag: "Active", state, node: focus, stack }
      case "Pure": {
        const next = focus.f(state)
        if (isFailure(next)) {
          // Continue in this loop (not by recursion): a loop may catch an error in every round.
          const to = unwind(state, next.error, focus.id!, stack, trace)
          if (to._tag === "Failed") return to
          ;({ focus, state, stack } = to)
          break
        }
        trace?.done(focus.id!)
        state = next
        focus = undefined
        break
      }
      case "Sequence":
        stack = push({ _tag: "Then", node: focus.second }, stack)
        focus = focus.first
        break
      case "Catch":
        stack = push({ _tag: "Catch", node: focus }, stack)
        focus = focus.body
        break
      case "Branch": {
        trace?.done(focus.id!)
        const current = state
        const arm = focus.arms.find((a) => a.when(current)) ?? focus.otherwise
        if (arm === undefined) {
          focus = undefined
        } else {
          trace?.done(arm.id!)
          focus = arm.body
        }
        break
      }
      case "Loop":
        stack = push({ _tag: "Loop", node: focus }, stack)
        focus = focus.body
        break
      case "Named":
        stack = push({ _tag: "Scope", node: focus }, stack)
        focus = focus.body
        break
      case "End":
        trace?.done(focus.id!)
        return { _tag: "Completed", state }
    }
  }
  throw new NonTerminating(
    `more than ${BUDGET} transitions without reaching a step: does a loop without steps never meet its exit condition?`
  )
}

/** Where an error goes: into the innermost catch that handles it (its handler gets `{ state, error }`), or out. */
const unwind = (
  state: unknown,
  error: unknown,
  node: string,
  stack: Stack,
  trace: Trace | undefined
): { readonly _tag: "Handle"; readonly focus: Node; readonly state: unknown; readonly stack: Stack } | Failed => {
  trace?.failed(node)
  for (let s = stack; s !== undefined; s = s.rest) {
    if (s.frame._tag === "Catch" && catches(s.frame.node, error)) {
      return { _tag: "Handle", focus: s.frame.node.handler, state: { state, error }, stack: s.rest }
    }
  }
  return { _tag: "Failed", state, error, node }
}

/** The position of a new instance that starts from `input`. */
export const start = (root: Node, input: unknown, trace?: Trace): Position => run(root, input, undefined, trace)

/** The position after the active node's event: `apply` it, then run on to the next event or the end. */
export const feed = (position: Active, event: unknown, trace?: Trace): Position => {
  const next = position.node.apply(position.state, event)
  if (isFailure(next)) {
    const to = unwind(position.state, next.error, position.node.id!, position.stack, trace)
    return to._tag === "Failed" ? to : run(to.focus, to.state, to.stack, trace)
  }
  trace?.done(position.node.id!)
  return run(undefined, next, position.stack, trace)
}
