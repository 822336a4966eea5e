/**
 * The workflow value's runtime representation: ONE tagged union of plain, immutable node objects. Every
 * interpreter (compile, toModel, the machine behind runtime and replay) is one exhaustive `switch (node._tag)`,
 * so adding a node kind fails the build wherever it is not handled yet.
 *
 * Nodes are deliberately untyped here (state is `unknown`): the typed face is `Workflow<In, Out, E, R, S>` in
 * `Workflow.ts`, whose constructors are the only way to build nodes with consistent types.
 */
import type { Effect, Schedule } from "effect"
import { pipeArguments } from "effect/Pipeable"
import type { PlainCodec, Signal } from "./Signal.js"
import type { StepContext } from "./StepContext.js"

export type Node =
  | StepNode
  | AwaitSignalNode
  | PureNode
  | SequenceNode
  | CatchNode
  | BranchNode
  | LoopNode
  | EndNode
  | NamedNode
  | SleepNode
  | RaceNode
  | InterruptibleNode

/** Fields every node has. `id` is the user's explicit id, or — after `compile` — the assigned one. */
interface Base {
  readonly id: string | undefined
  readonly description: string | undefined
}

/** Runs an Effect producing an event; `apply` folds the event into the next state (or a `Failure`). */
export interface StepNode extends Base {
  readonly _tag: "Step"
  readonly name: string
  readonly event: PlainCodec<unknown>
  readonly errors: ReadonlyArray<string>
  /**
   * The declared errors given as Schemas (a `Schema.TaggedError` class): such an error escaping `run` is recorded
   * encoded with its Schema, and decoded with it on replay. Errors declared by name only are recorded as plain JSON.
   */
  readonly errorSchemas: ReadonlyArray<PlainCodec<unknown>>
  readonly run: (state: unknown, context: StepContext) => Effect.Effect<unknown, unknown, unknown>
  readonly apply: (state: unknown, event: unknown) => unknown
  /** A durable retry policy (`Workflow.retry`); without one, failed attempts are retried by the worker's options. */
  readonly retry: RetryPolicy | undefined
}

/** A step's durable retry policy: see `Workflow.retry`. */
export interface RetryPolicy {
  readonly schedule: Schedule.Schedule<
    unknown,
    { readonly attempt: number; readonly error: string; readonly tag: string | undefined }
  >
  readonly label: string
}

/** Waits for `signal`; `handle` turns the request into an event, `apply` folds it, `respond` answers the sender. */
export interface AwaitSignalNode extends Base {
  readonly _tag: "AwaitSignal"
  readonly name: string
  readonly signal: Signal<string, any, any>
  readonly event: PlainCodec<unknown>
  readonly errors: ReadonlyArray<string>
  readonly handle: (state: unknown, request: unknown, context: StepContext) => unknown
  readonly apply: (state: unknown, event: unknown) => unknown
  readonly respond: (state: unknown, event: unknown, request: unknown) => unknown
}

/** A pure function of the state; nothing is persisted. Named ones are drawn, anonymous ones are not. */
export interface PureNode extends Base {
  readonly _tag: "Pure"
  readonly name: string | undefined
  readonly errors: ReadonlyArray<string>
  readonly f: (state: unknown) => unknown
  /** Made by `Workflow.raise`: `f` always returns a failure, so no path goes on after it (diagrams end it there). */
  readonly raises: boolean
}

export interface SequenceNode extends Base {
  readonly _tag: "Sequence"
  readonly first: Node
  readonly second: Node
}

/** Runs `body`; an error (of one of `tags`, or any when `tags` is undefined) continues in `handler`. */
export interface CatchNode extends Base {
  readonly _tag: "Catch"
  readonly name: string | undefined
  readonly tags: ReadonlyArray<string> | undefined
  readonly body: Node
  readonly handler: Node
}

export interface BranchArm {
  /** The arm's id, assigned by `compile`. */
  readonly id: string | undefined
  readonly condition: string
  readonly when: (state: unknown) => boolean
  readonly body: Node
}

/** The first arm whose condition holds runs; else `otherwise`; else the state passes through unchanged. */
export interface BranchNode extends Base {
  readonly _tag: "Branch"
  readonly name: string | undefined
  readonly arms: ReadonlyArray<BranchArm>
  readonly otherwise: BranchArm | undefined
}

/** Runs `body` until `exit.when` holds on its result; `restart` runs before each new round. */
export interface LoopNode extends Base {
  readonly _tag: "Loop"
  readonly name: string | undefined
  readonly body: Node
  readonly exit: { readonly name: string; readonly when: (state: unknown) => boolean }
  readonly repeat: string
  readonly restart: Node | undefined
}

/** Completes the whole instance with the current state; nothing after it runs. */
export interface EndNode extends Base {
  readonly _tag: "End"
  readonly name: string
}

/** How a timer's release time is given: for the diagram and the fingerprint (the function is in `release`). */
export type TimerSpec =
  /** A fixed duration, as an ISO 8601 duration (`PT20S`). */
  | { readonly _tag: "Duration"; readonly iso: string }
  /** A duration computed from the state, described by `label`. */
  | { readonly _tag: "ComputedDuration"; readonly label: string }
  /** A date computed from the state, described by `label`. */
  | { readonly _tag: "Date"; readonly label: string }

/**
 * A durable timer: "timer started" is recorded with the release time `release(state, now)`, "timer fired" once it
 * has passed; the state passes through unchanged.
 */
export interface SleepNode extends Base {
  readonly _tag: "Sleep"
  readonly name: string
  readonly timer: TimerSpec
  /**
   * The release time (ms since the epoch) of the timer started at `now` with `state`. Runs once, when the timer
   * starts: the result is recorded, so replay never calls it.
   */
  readonly release: (state: unknown, now: number) => number
}

/**
 * Waits for whichever of several signals arrives first (each arm starts with an `awaitSignal`), or for the deadline
 * (a workflow starting with a `sleep`), and continues with the rest of that arm only. BPMN: event-based gateway.
 */
export interface RaceNode extends Base {
  readonly _tag: "Race"
  readonly name: string | undefined
  readonly arms: ReadonlyArray<Node>
  readonly deadline: Node | undefined
}

/**
 * Runs `body` unless one of `interruptions` (each starting with an `awaitSignal`) or the `timeout` (starting with a
 * `sleep`, started on entry) cuts it short: the body is abandoned and the rest of that interruption runs.
 */
export interface InterruptibleNode extends Base {
  readonly _tag: "Interruptible"
  readonly name: string
  readonly body: Node
  readonly interruptions: ReadonlyArray<Node>
  readonly timeout: Node | undefined
}

/** A named sub-workflow: a scope for ids, drawn as a subprocess. */
export interface NamedNode extends Base {
  readonly _tag: "Named"
  readonly name: string
  readonly body: Node
}

/** Global (Symbol.for), so nodes are recognised even across two copies of the library (e.g. a tsx-loaded module). */
const NodeBrand = Symbol.for("durable-monad/Node")

const NodeProto = {
  [NodeBrand]: true,
  pipe() {
    // biome-ignore lint/complexity/noArguments: pipeArguments is Effect's way to implement variadic pipe
    return pipeArguments(this, arguments)
  }
}

/** Build a node object whose prototype provides `pipe`. */
export const makeNode = <N extends Node>(fields: N): N => Object.assign(Object.create(NodeProto), fields)

/** Whether a value is a workflow node built by this library (any node kind). */
export const isNode = (u: unknown): u is Node =>
  typeof u === "object" && u !== null && (u as { readonly [NodeBrand]?: unknown })[NodeBrand] === true
