import { absurd, type CompiledAwaitSignal, type CompiledStep } from "../../dsl/CompiledNode.js"
import type { Compiled } from "../../dsl/compile.js"
import type { Active, Position, Waiting } from "./Position.js"

/** A step whose Effect should run now, with the state it runs on. */
export interface PendingStep {
  readonly node: CompiledStep
  readonly state: unknown
}

/** A signal the instance accepts now, at the signal node `node`. */
export interface PendingSignal {
  readonly node: CompiledAwaitSignal
  readonly state: unknown
  /** The signal's name. */
  readonly signal: string
}

/** A durable timer: the instance wants to be woken at `at` (ms since the epoch) for node `node`. */
export interface PendingTimer {
  readonly node: string
  readonly at: number
}

/** What an instance waits for now: empty lists when it has ended. */
export interface Pending {
  readonly steps: ReadonlyArray<PendingStep>
  readonly signals: ReadonlyArray<PendingSignal>
  /** None yet: the timer node kinds come with the time issue; the worker already reads this list. */
  readonly timers: ReadonlyArray<PendingTimer>
}

const NOTHING: Pending = { steps: [], signals: [], timers: [] }

/**
 * What a position waits for: every leaf of its tree of active nodes.
 *
 * @example
 * ```ts
 * const { steps, signals } = pending(workflow, position)
 * if (signals.some((s) => s.signal === "Approve")) ...
 * ```
 */
export const pending = (workflow: Compiled, position: Position): Pending => {
  if (position._tag !== "Active") return NOTHING
  const steps: Array<PendingStep> = []
  const signals: Array<PendingSignal> = []
  const collect = (active: Active): void => {
    switch (active._tag) {
      case "Step":
        steps.push({ node: workflow.nodes.get(active.id) as CompiledStep, state: active.state })
        return
      case "Signal": {
        const node = workflow.nodes.get(active.id) as CompiledAwaitSignal
        signals.push({ node, state: active.state, signal: node.signal.name })
        return
      }
      case "Sequence":
      case "Catch":
      case "Branch":
      case "Loop":
      case "Named":
        collect(active.child)
        return
      default:
        absurd(active)
    }
  }
  collect(position.active)
  return { steps, signals, timers: [] }
}

/** The innermost state of a position: the state its (first) waiting node holds, or the final state. */
export const stateOf = (position: Position): unknown => {
  if (position._tag !== "Active") return position.state
  let active: Active = position.active
  while (active._tag !== "Step" && active._tag !== "Signal") active = (active as Exclude<Active, Waiting>).child
  return active.state
}

/**
 * The `Status` tag of a position without listing what it waits for: `Running` while a step is pending, `Waiting`
 * while only signals are, else `Completed` / `Failed`. It goes into every event's metadata, so it allocates nothing.
 */
export const statusTag = (position: Position): "Running" | "Waiting" | "Completed" | "Failed" => {
  if (position._tag !== "Active") return position._tag
  const any = (active: Active): boolean => {
    switch (active._tag) {
      case "Step":
        return true
      case "Signal":
        return false
      case "Sequence":
      case "Catch":
      case "Branch":
      case "Loop":
      case "Named":
        return any(active.child)
      default:
        return absurd(active)
    }
  }
  return any(position.active) ? "Running" : "Waiting"
}
