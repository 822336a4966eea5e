import type { CompiledRace } from "../dsl/CompiledNode.js"
import type { Compiled } from "../dsl/compile.js"
import {
  innermostLeaf,
  nextWakeUp,
  type Position,
  pending,
  type Racing,
  type Timer,
  type Waiting
} from "./machine/index.js"

/**
 * Where an instance stands.
 * - `Running`: the next thing to do is run step `step` (it has not completed yet). When attempts of its Effect
 *   failed, it is an incident: `attempts` counts them and `lastError` says why the last one failed (e.g. "CI is
 *   down"). Both are read from the journal, so they survive restarts;
 * - `Waiting`: blocked on `signals` at step `step`, or asleep on the timer `step` until `until`;
 * - `Completed`; `Failed` with the typed error that no catch handled, raised by `step`.
 */
export type Status<E = unknown> =
  | {
      readonly _tag: "Running"
      readonly step: string
      readonly lastError?: string
      readonly attempts?: number
      /** For a step with a retry policy: when its next attempt runs. */
      readonly nextAttemptAt?: Date
    }
  | {
      readonly _tag: "Waiting"
      readonly step: string
      readonly signals: ReadonlyArray<string>
      /** When the earliest started timer is due: the instance is woken then. */
      readonly until?: Date
    }
  | { readonly _tag: "Completed" }
  | { readonly _tag: "Failed"; readonly step: string; readonly error: E }

/** Failed attempts of a step that has not completed yet. */
export interface Incident {
  readonly attempts: number
  readonly error: string
  /** For a step with a retry policy: when its next attempt runs (ms since the epoch). */
  readonly nextAttemptAt?: number
}

/**
 * The node an instance waits at: its innermost leaf, so a timer inside a section that a signal can interrupt is
 * named, not the interrupting signal; a race is named by its first arm's signal, the step a caller sends to.
 */
const waitingAt = (workflow: Compiled, leaf: Waiting | Timer | Racing): string =>
  leaf._tag === "Race" ? ((workflow.nodes.get(leaf.id) as CompiledRace).arms[0]?.trigger.id ?? leaf.id) : leaf.id

export const statusOf = (workflow: Compiled, position: Position, incidents?: ReadonlyMap<string, Incident>): Status => {
  switch (position._tag) {
    case "Active": {
      const p = pending(workflow, position)
      const { steps, signals, timers } = p
      const step = steps[0]
      if (step !== undefined) {
        const incident = incidents?.get(step.node.id)
        return incident === undefined
          ? { _tag: "Running", step: step.node.id }
          : {
              _tag: "Running",
              step: step.node.id,
              lastError: incident.error,
              attempts: incident.attempts,
              ...(incident.nextAttemptAt === undefined ? {} : { nextAttemptAt: new Date(incident.nextAttemptAt) })
            }
      }
      // A timer not started yet is work to do now: its release time is recorded next.
      const starting = timers.find((t) => t.at === undefined)
      if (starting !== undefined) return { _tag: "Running", step: starting.node.id }
      const until = nextWakeUp(p)
      return {
        _tag: "Waiting",
        step: waitingAt(workflow, innermostLeaf(position.active)),
        signals: signals.map((s) => s.signal),
        ...(until === undefined ? {} : { until: new Date(until) })
      }
    }
    case "Completed":
      return { _tag: "Completed" }
    case "Failed":
      return { _tag: "Failed", step: position.node, error: position.error }
  }
}
