import {
  absurd,
  type CompiledAwaitSignal,
  type CompiledInterruptible,
  type CompiledRace,
  type CompiledSleep,
  type CompiledStep
} from "../../dsl/CompiledNode.js"
import type { Compiled } from "../../dsl/compile.js"
import type { Active, Position, Racing, Timer, Waiting } from "./Position.js"

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

/**
 * A durable timer: not started yet (`at` undefined: its release time is to be recorded now), or started and due at
 * `at` (ms since the epoch), when the instance wants to be woken.
 */
export interface PendingTimer {
  readonly node: CompiledSleep
  readonly state: unknown
  readonly at: number | undefined
}

/** What an instance waits for now: empty lists when it has ended. */
export interface Pending {
  readonly steps: ReadonlyArray<PendingStep>
  readonly signals: ReadonlyArray<PendingSignal>
  readonly timers: ReadonlyArray<PendingTimer>
}

const NOTHING: Pending = { steps: [], signals: [], timers: [] }

/** The earliest release time of the started timers of `pending` (undefined: none is started). */
export const nextWakeUp = (p: Pending): number | undefined => {
  let at: number | undefined
  for (const t of p.timers) if (t.at !== undefined && (at === undefined || t.at < at)) at = t.at
  return at
}

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
  const into: Pending = { steps: [], signals: [], timers: [] }
  collect(workflow, position.active, into as Collecting)
  return into
}

/** `Pending` while it is being filled. */
interface Collecting {
  readonly steps: Array<PendingStep>
  readonly signals: Array<PendingSignal>
  readonly timers: Array<PendingTimer>
}

// Module-level functions rather than closures per call: these run for every event.
const collect = (workflow: Compiled, active: Active, into: Collecting): void => {
  const { steps, signals, timers } = into
  switch (active._tag) {
    case "Step":
      steps.push({ node: workflow.nodes.get(active.id) as CompiledStep, state: active.state })
      return
    case "Signal": {
      const node = workflow.nodes.get(active.id) as CompiledAwaitSignal
      signals.push({ node, state: active.state, signal: node.signal.name })
      return
    }
    case "Timer":
      timers.push({ node: workflow.nodes.get(active.id) as CompiledSleep, state: active.state, at: active.at })
      return
    case "Race": {
      const node = workflow.nodes.get(active.id) as CompiledRace
      for (const arm of node.arms) {
        signals.push({ node: arm.trigger, state: active.state, signal: arm.trigger.signal.name })
      }
      if (node.deadline !== undefined) timers.push({ node: node.deadline.trigger, state: active.state, at: active.at })
      return
    }
    case "Interruptible": {
      const node = workflow.nodes.get(active.id) as CompiledInterruptible
      const state = innermostState(active.child)
      // The section's timeout before the body's timers: it is started on entry, so it is recorded first.
      if (node.timeout !== undefined) timers.push({ node: node.timeout.trigger, state, at: active.at })
      collect(workflow, active.child, into)
      for (const by of node.interruptions) {
        signals.push({ node: by.trigger, state, signal: by.trigger.signal.name })
      }
      return
    }
    case "Interrupted":
    case "RaceArm":
    case "Sequence":
    case "Catch":
    case "Branch":
    case "Loop":
    case "Named":
      collect(workflow, active.child, into)
      return
    default:
      absurd(active)
  }
}

/** The innermost state of a position: the state its (first) waiting node holds, or the final state. */
export const stateOf = (position: Position): unknown =>
  position._tag !== "Active" ? position.state : innermostState(position.active)

/**
 * The innermost waiting node of an active tree: the step, signal, timer or race the instance is at. An interruption
 * scope's own triggers (its cancel signal, its timeout) wait around it, not at it.
 */
export const innermostLeaf = (active: Active): Waiting | Timer | Racing => {
  let a = active
  while (a._tag !== "Step" && a._tag !== "Signal" && a._tag !== "Timer" && a._tag !== "Race")
    a = (a as Exclude<Active, Waiting | Timer | Racing>).child
  return a
}

/** The state the (first) waiting node of an active tree holds. */
export const innermostState = (active: Active): unknown => innermostLeaf(active).state

/**
 * The `Status` tag of a position without listing what it waits for: `Running` while a step is pending, `Waiting`
 * while only signals are, else `Completed` / `Failed`. It goes into every event's metadata, so it allocates nothing.
 */
export const statusTag = (workflow: Compiled, position: Position): "Running" | "Waiting" | "Completed" | "Failed" => {
  if (position._tag !== "Active") return position._tag
  return hasWork(workflow, position.active) ? "Running" : "Waiting"
}

/** Whether an active tree has work to do now: a pending step, or a timer whose release time is to be recorded. */
const hasWork = (workflow: Compiled, active: Active): boolean => {
  switch (active._tag) {
    case "Step":
      return true
    case "Signal":
      return false
    // A timer not started yet is work to do now: its release time is recorded next.
    case "Timer":
      return active.at === undefined
    case "Race":
      return active.at === undefined && (workflow.nodes.get(active.id) as CompiledRace).deadline !== undefined
    case "Interruptible":
      return (
        hasWork(workflow, active.child) ||
        (active.at === undefined && (workflow.nodes.get(active.id) as CompiledInterruptible).timeout !== undefined)
      )
    case "Interrupted":
    case "RaceArm":
    case "Sequence":
    case "Catch":
    case "Branch":
    case "Loop":
    case "Named":
      return hasWork(workflow, active.child)
    default:
      return absurd(active)
  }
}

/** The earliest release time of a position's started timers, without listing what it waits for. */
export const wakeUpOf = (position: Position): number | undefined =>
  position._tag !== "Active" ? undefined : earliestIn(position.active)

const earliest = (a: number | undefined, b: number | undefined) =>
  a === undefined || (b !== undefined && b < a) ? b : a

const earliestIn = (active: Active): number | undefined => {
  switch (active._tag) {
    case "Step":
    case "Signal":
      return undefined
    case "Timer":
    case "Race":
      return active.at
    case "Interruptible":
      return earliest(active.at, earliestIn(active.child))
    case "Interrupted":
    case "RaceArm":
    case "Sequence":
    case "Catch":
    case "Branch":
    case "Loop":
    case "Named":
      return earliestIn(active.child)
    default:
      return absurd(active)
  }
}
