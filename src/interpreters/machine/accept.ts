/**
 * The two moves of the machine: `start` (a new instance's position, from its input) and `accept` (the position
 * after one recorded event). Both are pure: they evaluate every pure node (transitions, branch conditions, loop
 * exits) until every active path waits for an event again, or the instance is done. Runtime, replay and progress
 * all move positions with these two functions and nothing else.
 *
 * User functions (apply, conditions, pure transitions) may throw; that propagates to the caller, which knows the
 * context (stream, revision) to report it with.
 */
import {
  absurd,
  type CompiledAwaitSignal,
  type CompiledBranch,
  type CompiledCatch,
  type CompiledInterruptible,
  type CompiledLoop,
  type CompiledNamed,
  type CompiledNode,
  type CompiledRace,
  type CompiledRaceArm,
  type CompiledSequence,
  type CompiledStep
} from "../../dsl/CompiledNode.js"
import type { Compiled } from "../../dsl/compile.js"
import { isFailure } from "../../dsl/Failure.js"
import { innermostState } from "./pending.js"
import type { Active, Input, Position } from "./Position.js"
import type { Trace } from "./Trace.js"

/** A pure part of the workflow (a loop without steps, say) went on for too long without needing an event. */
export class NonTerminating extends Error {
  override readonly name = "NonTerminating"
}

/** Pure evaluations allowed between two events before we call it an endless loop. */
const BUDGET = 1_000_000

/** How a node (entered, or resumed by an event) came out. */
type Outcome =
  | { readonly _tag: "Wait"; readonly active: Active }
  | { readonly _tag: "Done"; readonly state: unknown }
  | { readonly _tag: "Raise"; readonly state: unknown; readonly error: unknown; readonly node: string }
  /** An End node completed the whole instance: every enclosing node is left as it is. */
  | { readonly _tag: "End"; readonly state: unknown }

const catches = (node: CompiledCatch, error: unknown): boolean =>
  node.tags === undefined ||
  (typeof error === "object" &&
    error !== null &&
    typeof (error as { _tag?: unknown })._tag === "string" &&
    node.tags.includes((error as { _tag: string })._tag))

/** One evaluation of a workflow: its budget and its trace. */
class Run {
  private budget = BUDGET
  constructor(
    private readonly workflow: Compiled,
    private readonly t: Trace | undefined
  ) {}

  private tick(): void {
    if (--this.budget < 0) {
      throw new NonTerminating(
        `more than ${BUDGET} transitions without reaching a step: does a loop without steps never meet its exit condition?`
      )
    }
  }

  private node<N extends CompiledNode>(id: string): N {
    return this.workflow.nodes.get(id) as N
  }

  /** The outcome of a step's or signal's event (or of the error its step raised) applied to its state. */
  private applied(
    node: CompiledStep | CompiledAwaitSignal,
    state: unknown,
    input: Extract<Input, { readonly _tag: "Step" | "Signal" | "Raised" }>
  ): Outcome {
    const next = input._tag === "Raised" ? input : node.apply(state, input.event)
    if (input._tag === "Raised" || isFailure(next)) {
      const error = (next as { readonly error: unknown }).error
      this.t?.({ _tag: "Raised", node: node.id, error })
      return { _tag: "Raise", state, error, node: node.id }
    }
    this.t?.({ _tag: "Completed", node: node.id })
    return { _tag: "Done", state: next }
  }

  enter(node: CompiledNode, state: unknown): Outcome {
    switch (node._tag) {
      case "Step":
        return { _tag: "Wait", active: { _tag: "Step", id: node.id, state } }
      case "AwaitSignal":
        return { _tag: "Wait", active: { _tag: "Signal", id: node.id, state } }
      case "Sleep":
        return { _tag: "Wait", active: { _tag: "Timer", id: node.id, state, at: undefined } }
      case "Pure": {
        this.tick()
        const next = node.f(state)
        if (isFailure(next)) {
          this.t?.({ _tag: "Raised", node: node.id, error: next.error })
          return { _tag: "Raise", state, error: next.error, node: node.id }
        }
        this.t?.({ _tag: "Completed", node: node.id })
        return { _tag: "Done", state: next }
      }
      case "Sequence":
        return this.sequence(node, 0, this.enter(node.steps[0]!, state))
      case "Catch":
        return this.catch(node, false, this.enter(node.body, state))
      case "Branch": {
        this.tick()
        const arm = node.arms.find((a) => a.when(state)) ?? node.otherwise
        this.t?.({ _tag: "Branched", branch: node.id, arm: arm?.id })
        if (arm === undefined) return { _tag: "Done", state }
        return this.branch(node, arm.id, this.enter(arm.body, state))
      }
      case "Loop":
        this.t?.({ _tag: "Round", loop: node.id, round: 1 })
        return this.loop(node, 1, false, this.enter(node.body, state))
      case "End":
        this.t?.({ _tag: "Completed", node: node.id })
        return { _tag: "End", state }
      case "Named":
        return this.named(node, this.enter(node.body, state))
      case "Race":
        return { _tag: "Wait", active: { _tag: "Race", id: node.id, state, at: undefined } }
      case "Interruptible":
        return this.interruptible(node, undefined, this.enter(node.body, state))
      default:
        return absurd(node)
    }
  }

  /** Resume the active tree with an event; undefined when no waiting node of it takes that event. */
  advance(active: Active, input: Input): Outcome | undefined {
    switch (active._tag) {
      case "Step":
      case "Signal": {
        if (
          active.id !== input.node ||
          input._tag === "TimerStarted" ||
          input._tag === "TimerFired" ||
          (input._tag === "Signal") !== (active._tag === "Signal")
        )
          return undefined
        return this.applied(this.node(active.id), active.state, input)
      }
      case "Timer": {
        if (active.id !== input.node) return undefined
        const timer = this.timer(active.at, input)
        if (timer === undefined) return undefined
        return timer === "fired"
          ? { _tag: "Done", state: active.state }
          : { _tag: "Wait", active: { ...active, at: timer } }
      }
      case "Race": {
        const node = this.node<CompiledRace>(active.id)
        const deadline = node.deadline
        if (deadline !== undefined && input.node === deadline.trigger.id) {
          const timer = this.timer(active.at, input)
          if (timer === undefined) return undefined
          if (timer !== "fired") return { _tag: "Wait", active: { ...active, at: timer } }
          return this.won(node, deadline, { _tag: "Done", state: active.state })
        }
        const arm = node.arms.find((a) => a.trigger.id === input.node)
        if (arm === undefined || input._tag !== "Signal") return undefined
        return this.won(node, arm, this.applied(arm.trigger, active.state, input))
      }
      case "Interruptible": {
        const node = this.node<CompiledInterruptible>(active.id)
        const timeout = node.timeout
        if (timeout !== undefined && input.node === timeout.trigger.id) {
          const timer = this.timer(active.at, input)
          if (timer === undefined) return undefined
          if (timer !== "fired") return { _tag: "Wait", active: { ...active, at: timer } }
          return this.interrupted(node, timeout, { _tag: "Done", state: innermostState(active.child) })
        }
        const by = node.interruptions.find((a) => a.trigger.id === input.node)
        if (by !== undefined) {
          if (input._tag !== "Signal") return undefined
          return this.interrupted(node, by, this.applied(by.trigger, innermostState(active.child), input))
        }
        const o = this.advance(active.child, input)
        return o && this.interruptible(node, active.at, o)
      }
      case "Interrupted": {
        const o = this.advance(active.child, input)
        return o && this.afterInterruption(this.node(active.id), active.winner, o)
      }
      case "RaceArm": {
        const o = this.advance(active.child, input)
        return o && this.raceArm(this.node(active.id), active.winner, o)
      }
      case "Sequence": {
        const o = this.advance(active.child, input)
        return o && this.sequence(this.node(active.id), active.index, o)
      }
      case "Catch": {
        const o = this.advance(active.child, input)
        return o && this.catch(this.node(active.id), active.handling, o)
      }
      case "Branch": {
        const o = this.advance(active.child, input)
        return o && this.branch(this.node(active.id), active.arm, o)
      }
      case "Loop": {
        const o = this.advance(active.child, input)
        return o && this.loop(this.node(active.id), active.round, active.restarting, o)
      }
      case "Named": {
        const o = this.advance(active.child, input)
        return o && this.named(this.node(active.id), o)
      }
      default:
        return absurd(active)
    }
  }

  private sequence(node: CompiledSequence, index: number, outcome: Outcome): Outcome {
    let o = outcome
    for (let i = index; ; ) {
      if (o._tag === "Wait")
        return { _tag: "Wait", active: { _tag: "Sequence", id: node.id, index: i, child: o.active } }
      if (o._tag !== "Done" || ++i >= node.steps.length) return o
      o = this.enter(node.steps[i]!, o.state)
    }
  }

  private catch(node: CompiledCatch, handling: boolean, o: Outcome): Outcome {
    switch (o._tag) {
      case "Wait":
        return { _tag: "Wait", active: { _tag: "Catch", id: node.id, handling, child: o.active } }
      case "Done":
        // Left by the handler: the catch as a whole was left through its boundary, not completed.
        if (!handling) this.t?.({ _tag: "Completed", node: node.id })
        return o
      case "Raise":
        if (!handling && catches(node, o.error)) {
          this.t?.({ _tag: "Caught", catch: node.id, node: o.node })
          return this.catch(node, true, this.enter(node.handler, { state: o.state, error: o.error }))
        }
        this.t?.({ _tag: "Left", scope: node.id, node: o.node })
        return o
      case "End":
        return o
    }
  }

  /**
   * A timer's event (`input`, for the timer's own node) on a timer that is not started (`at` undefined) or due at
   * `at`: its release time once started, `fired`, or undefined when the event does not fit.
   */
  private timer(at: number | undefined, input: Input): number | "fired" | undefined {
    if (input._tag === "TimerStarted" && at === undefined) {
      this.t?.({ _tag: "TimerStarted", node: input.node, at: input.at })
      return input.at
    }
    if (input._tag === "TimerFired" && at !== undefined) {
      this.t?.({ _tag: "Completed", node: input.node })
      return "fired"
    }
    return undefined
  }

  /** The outcome of a race arm's or an interruption's trigger `o`, followed by the rest of it. */
  private rest(arm: CompiledRaceArm<CompiledNode>, o: Outcome): Outcome {
    return o._tag !== "Done" || arm.then === undefined ? o : this.enter(arm.then, o.state)
  }

  private interruptible(node: CompiledInterruptible, at: number | undefined, o: Outcome): Outcome {
    return this.scope(node.id, o, (child) => ({ _tag: "Interruptible", id: node.id, at, child }))
  }

  /** `by` interrupted section `node` with outcome `o` (of its trigger): the body is abandoned, the rest of `by` runs. */
  private interrupted(node: CompiledInterruptible, by: CompiledRaceArm<CompiledNode>, o: Outcome): Outcome {
    this.t?.({ _tag: "Interrupted", section: node.id, by: by.trigger.id })
    return this.afterInterruption(node, by.trigger.id, this.rest(by, o))
  }

  private afterInterruption(node: CompiledInterruptible, winner: string, o: Outcome): Outcome {
    if (o._tag === "Wait") {
      return { _tag: "Wait", active: { _tag: "Interrupted", id: node.id, winner, child: o.active } }
    }
    if (o._tag === "Raise") this.t?.({ _tag: "Left", scope: node.id, node: o.node })
    return o
  }

  /** The trigger of `arm` won race `node` with outcome `o`: the rest of the arm runs. */
  private won(node: CompiledRace, arm: CompiledRaceArm<CompiledNode>, o: Outcome): Outcome {
    this.t?.({ _tag: "Raced", race: node.id, winner: arm.trigger.id })
    return this.raceArm(node, arm.trigger.id, this.rest(arm, o))
  }

  private raceArm(node: CompiledRace, winner: string, o: Outcome): Outcome {
    if (o._tag === "Wait") return { _tag: "Wait", active: { _tag: "RaceArm", id: node.id, winner, child: o.active } }
    if (o._tag === "Raise") this.t?.({ _tag: "Left", scope: node.id, node: o.node })
    if (o._tag === "Done") this.t?.({ _tag: "Completed", node: node.id })
    return o
  }

  private branch(node: CompiledBranch, arm: string, o: Outcome): Outcome {
    return o._tag === "Wait" ? { _tag: "Wait", active: { _tag: "Branch", id: node.id, arm, child: o.active } } : o
  }

  private loop(node: CompiledLoop, round: number, restarting: boolean, outcome: Outcome): Outcome {
    let o = outcome
    for (;;) {
      if (o._tag === "Wait") {
        return { _tag: "Wait", active: { _tag: "Loop", id: node.id, round, restarting, child: o.active } }
      }
      if (o._tag === "Raise") this.t?.({ _tag: "Left", scope: node.id, node: o.node })
      if (o._tag !== "Done") return o
      this.tick()
      if (!restarting && node.exit.when(o.state)) {
        this.t?.({ _tag: "Completed", node: node.id })
        return o
      }
      if (!restarting && node.restart !== undefined) {
        restarting = true
        o = this.enter(node.restart, o.state)
        continue
      }
      restarting = false
      round++
      this.t?.({ _tag: "Round", loop: node.id, round })
      o = this.enter(node.body, o.state)
    }
  }

  private named(node: CompiledNamed, o: Outcome): Outcome {
    return this.scope(node.id, o, (child) => ({ _tag: "Named", id: node.id, child }))
  }

  /** A scope (`id`) around `o`: `wrap` holds a waiting child; completing or raising leaves the scope. */
  private scope(id: string, o: Outcome, wrap: (child: Active) => Active): Outcome {
    switch (o._tag) {
      case "Wait":
        return { _tag: "Wait", active: wrap(o.active) }
      case "Done":
        this.t?.({ _tag: "Completed", node: id })
        return o
      case "Raise":
        this.t?.({ _tag: "Left", scope: id, node: o.node })
        return o
      case "End":
        return o
    }
  }
}

const toPosition = (o: Outcome): Position => {
  switch (o._tag) {
    case "Wait":
      return { _tag: "Active", active: o.active }
    case "Done":
    case "End":
      return { _tag: "Completed", state: o.state }
    case "Raise":
      return { _tag: "Failed", state: o.state, error: o.error, node: o.node }
  }
}

/**
 * The position of a new instance that starts from `input`.
 *
 * @example
 * ```ts
 * import { compile, toNode } from "durable-monad/internal"
 * const position = start(compile(toNode(workflow)), input) // { _tag: "Active", active: { _tag: "Step", … } }
 * ```
 */
export const start = (workflow: Compiled, input: unknown, trace?: Trace): Position =>
  toPosition(new Run(workflow, trace).enter(workflow.root, input))

/**
 * The position after `input`, the recorded event of a node the position waits for; undefined when it waits for
 * no such event (the caller reports the mismatch: non-determinism on replay, an unexpected signal live).
 */
export const accept = (workflow: Compiled, position: Position, input: Input, trace?: Trace): Position | undefined => {
  if (position._tag !== "Active") return undefined
  const o = new Run(workflow, trace).advance(position.active, input)
  return o && toPosition(o)
}
